import Foundation
import RemitCore

/// A `remit serve` or `remit router` started by `remit up`, writing to its own log file.
/// `@unchecked Sendable`: `Process` is thread-safe for the calls made here (run once, then
/// only `isRunning`, `processIdentifier`, `terminate` and `terminationStatus`).
public final class ChildProcess: @unchecked Sendable {
    public let name: String
    public let logFile: String
    private let process = Process()

    /// Starts `executable arguments…` with `environment` added to ours; output is appended to `logFile`.
    public init(name: String, executable: String, arguments: [String], environment: [String: String], logFile: String) throws(StackError) {
        self.name = name
        self.logFile = logFile
        if !FileManager.default.fileExists(atPath: logFile) {
            try write("", to: logFile, mode: 0o640)
        }
        guard let log = FileHandle(forWritingAtPath: logFile) else {
            throw StackError("can not open \(logFile)")
        }
        log.seekToEndOfFile()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw StackError("can not start \(name): \(error.localizedDescription)")
        }
        log.closeFile()
    }

    public var isRunning: Bool { process.isRunning }
    public var processID: Int32 { process.processIdentifier }
    /// The exit status, once it has exited.
    public var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// SIGTERM, then SIGKILL if it has not exited within `Limits.childStopTimeoutMilliseconds`.
    public func stop() async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .milliseconds(Limits.childStopTimeoutMilliseconds)
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
