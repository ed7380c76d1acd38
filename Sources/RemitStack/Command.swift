import Foundation

/// Runs a program to completion and captures what it printed (stdout and stderr together).
enum Command {
    struct Outcome {
        let status: Int32
        let output: String
    }

    static func run(_ executable: String, _ arguments: [String]) throws(StackError) -> Outcome {
        // Output goes to a file, not a pipe: `pg_ctl start` leaves a server running that inherits
        // the descriptor, and a pipe would then never reach end-of-file.
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("remit-command-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let child = try Subprocess(executable, arguments, outputFile: outputPath)
        let status = child.waitForExit()
        let data = FileManager.default.contents(atPath: outputPath) ?? Data()
        return Outcome(status: status, output: String(decoding: data, as: UTF8.self))
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
