import Foundation
import RemitCore
import Synchronization

/// A `remit serve` or `remit router` started by `remit up`, writing to its own log file.
public final class ChildProcess: Sendable {
    public let name: String
    public let logFile: String
    private let subprocess: Subprocess
    private let command: (executable: String, arguments: [String], environment: [String: String])
    /// Set once the child has been reaped: waitpid can only report an exit once.
    private let exitStatus = Mutex<Int32?>(nil)

    /// Starts `executable arguments…` with `environment` added to ours; output is appended to `logFile`.
    public init(name: String, executable: String, arguments: [String], environment: [String: String], logFile: String) throws(StackError) {
        self.name = name
        self.logFile = logFile
        self.command = (executable, arguments, environment)
        self.subprocess = try Subprocess(executable, arguments, environment: environment, outputFile: logFile)
    }

    /// The same command started again (after this one died), logging to the same file.
    public func again() throws(StackError) -> ChildProcess {
        try ChildProcess(name: name, executable: command.executable, arguments: command.arguments, environment: command.environment, logFile: logFile)
    }

    public var processID: Int32 { subprocess.processID }

    /// The exit status once it has exited; nil while it runs.
    public var exited: Int32? {
        exitStatus.withLock { status in
            if status == nil { status = subprocess.exitStatusIfExited() }
            return status
        }
    }

    public var isRunning: Bool { exited == nil }

    /// SIGTERM, then SIGKILL if it has not exited within `Limits.childStopTimeoutMilliseconds`.
    public func stop() async {
        guard isRunning else { return }
        kill(processID, SIGTERM)
        let deadline = ContinuousClock.now + .milliseconds(Limits.childStopTimeoutMilliseconds)
        while isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if isRunning {
            kill(processID, SIGKILL)
            while isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        }
    }
}
