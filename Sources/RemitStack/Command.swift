import Foundation

/// Runs a program to completion and captures what it printed (stdout and stderr together).
enum Command {
    struct Outcome {
        let status: Int32
        let output: String
    }

    static func run(_ executable: String, _ arguments: [String]) throws(StackError) -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw StackError("can not run \(executable): \(error.localizedDescription)")
        }
        // Read before waiting: a child that fills the pipe would otherwise never exit.
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// Runs and throws with the program's own output when it exits non-zero.
    @discardableResult
    static func check(_ executable: String, _ arguments: [String], what: String) throws(StackError) -> String {
        let outcome = try run(executable, arguments)
        guard outcome.status == 0 else {
            let lastLines = outcome.output.split(separator: "\n").suffix(5).joined(separator: " | ")
            throw StackError("\(what) failed (exit \(outcome.status)): \(lastLines)")
        }
        return outcome.output
    }

    /// The first executable named `name` on PATH.
    static func onPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
