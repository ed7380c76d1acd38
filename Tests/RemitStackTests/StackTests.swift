import Foundation
import Testing
@testable import RemitStack

@Suite("embedded stack parts")
struct StackTests {
    @Test("finds PostgreSQL's server programs even when they are not on PATH")
    func locatesPostgres() throws {
        let installation = try PostgresInstallation.locate()
        #expect(FileManager.default.isExecutableFile(atPath: installation.initdb))
        #expect(FileManager.default.isExecutableFile(atPath: installation.pgCtl))
    }

    @Test("a command's output and exit status are captured")
    func commandOutput() throws {
        let outcome = try Command.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"])
        #expect(outcome.status == 3)
        #expect(outcome.output.contains("out"))
        #expect(outcome.output.contains("err"))
        #expect(throws: StackError.self) { try Command.check("/bin/sh", ["-c", "exit 1"], what: "failing") }
    }

    @Test("a child started by the stack stops on SIGTERM, with default signal handling")
    func childStops() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("remit-child-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let child = try ChildProcess(name: "sleeper", executable: "/bin/sleep", arguments: ["30"], environment: [:], logFile: log)
        #expect(child.isRunning)
        let started = ContinuousClock.now
        await child.stop()
        #expect(!child.isRunning)
        #expect(child.exited == 128 + SIGTERM)
        #expect(ContinuousClock.now - started < .seconds(5), "SIGTERM, not the SIGKILL fallback, should have ended it")
    }

    @Test("a child's environment carries what the stack adds")
    func childEnvironment() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("remit-child-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let child = try ChildProcess(
            name: "printer", executable: "/bin/sh", arguments: ["-c", "echo value=$REMIT_PROBE"],
            environment: ["REMIT_PROBE": "42"], logFile: log
        )
        while child.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        #expect(child.exited == 0)
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "value=42\n")
    }
}
