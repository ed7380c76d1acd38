import Foundation
import RemitDomain
import RemitPostgres
import Testing
@testable import RemitStorage

/// Runs the independent Python verifier on a database; returns its exit status and output line.
func runPythonVerifier(_ url: String) throws -> (status: Int32, output: String) {
    let root = URL(fileURLWithPath: try MigrationsDirectory.locate()).deletingLastPathComponent()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", root.appendingPathComponent("tools/verify-ledger.py").path, url]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
}

@Suite("independent verifier")
struct VerifierTests {
    @Test("the Python verifier and ours agree on an intact log and on tampered ones")
    func agree() async throws {
        try await withLedger { pool, appender in
            try await makeHistory(appender, count: 25)
            let databaseURL = try await currentDatabaseURL(pool)

            let events = try await allEvents(pool)
            let ours = LedgerFormat.verify(events, previousPosition: 0, previousHash: LedgerFormat.genesisHash, previousEpoch: 0)
            #expect((try? ours.get()) != nil)
            let intact = try runPythonVerifier(databaseURL)
            #expect(intact.status == 0, "\(intact.output)")
            #expect(intact.output == "ok: \(events.count) events, head \(events.last!.hash.hex); 0 checkpoints signed (keys from the log)")

            // Tamper as a superuser would: switch the guard off, change one byte of one payload.
            try await pool.withConnection { connection in
                try connection.execute(script: """
                    ALTER TABLE events DISABLE TRIGGER events_no_update_or_delete;
                    UPDATE events SET payload = overlay(payload PLACING '9'::bytea FROM 12 FOR 1) WHERE position = 5;
                    ALTER TABLE events ENABLE TRIGGER events_no_update_or_delete;
                    """)
            }
            let tampered = try await allEvents(pool)
            let ourBreak = LedgerFormat.verify(tampered, previousPosition: 0, previousHash: LedgerFormat.genesisHash, previousEpoch: 0)
            guard case .failure(let chainBreak) = ourBreak else {
                Issue.record("our verifier missed the change")
                return
            }
            #expect(chainBreak.position == 5)
            let theirs = try runPythonVerifier(databaseURL)
            #expect(theirs.status == 1)
            #expect(theirs.output == "broken: position 5: hash does not match its record")
        }
    }
}

/// The URL of the pool's own database, built from the test cluster's URL.
func currentDatabaseURL(_ pool: PostgresPool) async throws -> String {
    let name = try await pool.withConnection { try $0.query("SELECT current_database()")[0].decode(0, as: String.self) }
    var components = URLComponents(string: ProcessInfo.processInfo.environment["REMIT_TEST_DATABASE_URL"] ?? "")!
    components.path = "/" + name
    return components.string!
}
