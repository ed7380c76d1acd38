import Foundation
import Logging
import Synchronization
import RemitAuth
import RemitDomain
import RemitPostgres
import Testing
@testable import RemitStorage

@Suite("ledger auditor (remit verify)")
struct LedgerAuditorTests {
    /// 25 remittances with amends and cancels, projected: 42 events.
    private func withHistory(_ body: @escaping @Sendable (PostgresPool) async throws -> Void) async throws {
        try await withLedger { pool, appender in
            try await makeHistory(appender, count: 25)
            _ = try await Projector(pool: pool, logger: Logger(label: "test")).catchUp()
            try await body(pool)
        }
    }

    /// Runs SQL as a database superuser (or the tables' owner) would, with the log's guard off.
    private func tamper(_ pool: PostgresPool, _ sql: String) async throws {
        try await pool.withConnection { connection in
            try connection.execute(script: """
                ALTER TABLE events DISABLE TRIGGER events_no_update_or_delete;
                \(sql);
                ALTER TABLE events ENABLE TRIGGER events_no_update_or_delete;
                """)
        }
    }

    /// A superuser's rewrite: who made event `position` changed, and every hash from there on
    /// recomputed, the region's head too.
    private func rewriteTail(_ pool: PostgresPool, changing position: Int64) async throws {
        let events = try await LedgerReader(pool: pool).events(after: position - 2, limit: 1_000)
        var previous = events[0].hash
        var rewritten: [RecordedEvent] = []
        for var event in events.dropFirst() {
            if event.position == position { event.metadata = EventMetadata(actor: "someone-else").bytes() }
            event.hash = LedgerFormat.chainHash(of: event, after: previous)
            previous = event.hash
            rewritten.append(event)
        }
        let tail = rewritten, head = previous
        try await pool.withConnection { connection in
            try connection.query("ALTER TABLE events DISABLE TRIGGER events_no_update_or_delete")
            for event in tail {
                try connection.query("UPDATE events SET metadata = $1, hash = $2 WHERE position = $3", [event.metadata, event.hash, event.position])
            }
            try connection.query("ALTER TABLE events ENABLE TRIGGER events_no_update_or_delete")
            try connection.query("UPDATE region_state SET head_hash = $1", [head])
        }
    }

    @Test("an untouched region verifies: the log, its head, the views and the dashboard")
    func intact() async throws {
        try await withHistory { pool in
            let head = try await RegionStore(pool: pool).current()!.headPosition
            let report = try await LedgerAuditor.audit(pool)
            #expect(report.ok, "\(String(describing: report.finding))")
            #expect(report.events == head && report.throughPosition == head && report.epochsOpened == [1])
            #expect(report.viewsThrough == head && report.remittances == 25 && report.viewsStateHash?.count == 64)
            let range = try await LedgerAuditor.audit(pool, from: 10, through: 15)
            #expect(range.ok && range.events == 6 && range.viewsThrough == nil)
        }
    }

    @Test("one payload byte changed: found at its position")
    func payloadByte() async throws {
        try await withHistory { pool in
            try await tamper(pool, "UPDATE events SET payload = overlay(payload PLACING '9'::bytea FROM 12 FOR 1) WHERE position = 5")
            let finding = try #require(try await LedgerAuditor.audit(pool).finding)
            #expect(finding.position == 5 && finding.reason.contains("hash"))
        }
    }

    @Test("two events swapped: found at the first of them")
    func swapped() async throws {
        try await withHistory { pool in
            try await tamper(pool, """
                UPDATE events SET position = 1000000 WHERE position = 6;
                UPDATE events SET position = 6 WHERE position = 7;
                UPDATE events SET position = 7 WHERE position = 1000000
                """)
            let finding = try #require(try await LedgerAuditor.audit(pool).finding)
            #expect(finding.position == 6 && finding.reason.contains("hash"))
        }
    }

    @Test("an event deleted: found where the gap is")
    func deleted() async throws {
        try await withHistory { pool in
            try await tamper(pool, "DELETE FROM events WHERE position = 8")
            #expect(try await LedgerAuditor.audit(pool).finding == .init(position: 9, reason: "the log skips from position 7 to 9: 1 event(s) missing"))
        }
    }

    @Test("a view or a dashboard figure that is not the log's replay is found")
    func views() async throws {
        try await withHistory { pool in
            try await pool.withConnection { try $0.query("UPDATE remittances SET amount = amount + 1 WHERE created_position = (SELECT max(created_position) FROM remittances)") }
            let row = try #require(try await LedgerAuditor.audit(pool).finding)
            #expect(row.reason.contains("is not the log's replay"))
        }
        try await withHistory { pool in
            try await pool.withConnection { try $0.query("UPDATE dashboard_status SET count = count + 1 WHERE status = 'created'") }
            #expect(try await LedgerAuditor.audit(pool).finding?.reason == "the dashboard's status figures are not those of the log's remittances")
        }
        try await withHistory { pool in
            try await pool.withConnection { try $0.query("DELETE FROM remittances WHERE created_position = (SELECT min(created_position) FROM remittances)") }
            #expect(try await LedgerAuditor.audit(pool).finding?.reason.contains("the views lack remittance") == true)
        }
    }

    @Test("a quarantined tail must chain from its fork: intact it verifies, changed it is found")
    func quarantine() async throws {
        try await withHistory { pool in
            // The log's own tail after 30, copied into the quarantine as a fork after 30 would hold it.
            try await pool.withConnection { connection in
                try connection.query("""
                    INSERT INTO quarantined_events (position, epoch, stream_id, stream_version, event_type, payload, metadata,
                                                    idempotency_key, recorded_at_us, hash, fork_position)
                    SELECT position, epoch, stream_id, stream_version, event_type, payload, metadata, idempotency_key, recorded_at_us, hash, 30
                    FROM events WHERE position > 30
                    """)
            }
            let intact = try await LedgerAuditor.audit(pool)
            #expect(intact.ok && intact.quarantinedEvents == intact.events - 30)
            try await pool.withConnection { try $0.query("UPDATE quarantined_events SET metadata = metadata || ' '::bytea WHERE position = 33") }
            let finding = try #require(try await LedgerAuditor.audit(pool).finding)
            #expect(finding.position == 33 && finding.reason.hasPrefix("quarantine (epoch 1, forked after 30)"))
        }
    }

    @Test("a tail rewritten with every hash recomputed passes the chain; a hash the auditor kept catches it")
    func rewrittenTail() async throws {
        try await withHistory { pool in
            let before = try await LedgerAuditor.audit(pool)
            let kept = LedgerAuditor.KeptHash(position: before.throughPosition, hash: try #require([UInt8](hex: before.headHash)))
            try await rewriteTail(pool, changing: 21)
            #expect(try await LedgerAuditor.audit(pool).ok, "a consistent rewrite is a valid chain: only something kept outside can tell")
            let finding = try #require(try await LedgerAuditor.audit(pool, evidence: .init(keptHashes: [kept])).finding)
            #expect(finding.position == kept.position && finding.reason.contains("history up to this position was rewritten"))
        }
    }

    /// The history, this region's key published, and a checkpoint of the head signed with it.
    private func withCheckpoint(
        _ body: @escaping @Sendable (PostgresPool, SigningKey, LedgerCheckpoint, Appender) async throws -> Void
    ) async throws {
        try await withLedger { pool, appender in
            try await makeHistory(appender, count: 25)
            _ = try await Projector(pool: pool, logger: Logger(label: "test")).catchUp()
            let key = try await SigningKeyStore(pool: pool, region: "east").currentKey()
            let store = IdentityStore(pool: pool, region: "east")
            try await store.publishKeys()
            let checkpoint = try #require(try await store.signCheckpointIfDue(key: key, everyEvents: 1, everyMicroseconds: 1))
            try await body(pool, key, checkpoint, appender)
        }
    }

    @Test("the writer signs its head when a checkpoint is due, never twice for the same head; it verifies and replicates as an event")
    func checkpointSigned() async throws {
        try await withCheckpoint { pool, key, checkpoint, appender in
            let head = try await RegionStore(pool: pool).current()!
            #expect(checkpoint.position == head.headPosition - 1 && checkpoint.epoch == 1 && checkpoint.region == "east")
            #expect(checkpoint.isSigned(by: key.publicKey) && checkpoint.kid == key.kid)
            let store = IdentityStore(pool: pool, region: "east")
            #expect(try await store.signCheckpointIfDue(key: key, everyEvents: 1, everyMicroseconds: 1) == nil, "nothing new since")
            try await makeHistory(appender, count: 1)
            #expect(try await store.signCheckpointIfDue(key: key, everyEvents: 10, everyMicroseconds: 3_600_000_000) == nil, "not due yet")
            let second = try #require(try await store.signCheckpointIfDue(key: key, everyEvents: 1, everyMicroseconds: 3_600_000_000))
            let listed = try await CheckpointLog.list(pool, after: 0, limit: 10)
            #expect(listed.map(\.checkpoint) == [checkpoint, second] && listed.map(\.eventPosition) == [checkpoint.position + 1, second.position + 1])
            let report = try await LedgerAuditor.audit(pool, evidence: .init(keptCheckpoints: [checkpoint, second]))
            #expect(report.ok, "\(String(describing: report.finding))")
            #expect(report.checkpointsVerified == 2 && report.checkpointKeys == "log" && report.keptCheckpointsHeld == 2)
        }
    }

    @Test("a tail rewritten with every hash recomputed is caught by the checkpoint in the log and by a kept one")
    func checkpointCatchesRewrite() async throws {
        try await withCheckpoint { pool, _, checkpoint, _ in
            try await rewriteTail(pool, changing: 21)
            let inLog = try #require(try await LedgerAuditor.audit(pool).finding)
            #expect(inLog.position == checkpoint.position + 1 && inLog.reason.contains("but the event before it is position \(checkpoint.position)"))
            let kept = try #require(try await LedgerAuditor.audit(pool, evidence: .init(keptCheckpoints: [checkpoint])).finding)
            #expect(kept.position == checkpoint.position && kept.reason.contains("not the \(checkpoint.hash) east signed"))
        }
    }

    @Test("a forged or altered kept checkpoint, or one whose key is not given, is refused")
    func forgedCheckpoint() async throws {
        try await withCheckpoint { pool, key, checkpoint, _ in
            var altered = checkpoint
            altered.position -= 1
            let moved = try #require(try await LedgerAuditor.audit(pool, evidence: .init(keptCheckpoints: [altered])).finding)
            #expect(moved.reason.contains("signature is not key"))
            var forged = checkpoint
            forged.signature = String(forged.signature.dropLast()) + (forged.signature.hasSuffix("0") ? "1" : "0")
            #expect(try await LedgerAuditor.audit(pool, evidence: .init(keptCheckpoints: [forged])).finding?.reason.contains("signature is not key") == true)
            let stranger = SigningKey.generate()
            let unknown = try await LedgerAuditor.audit(pool, evidence: .init(keptCheckpoints: [checkpoint], keys: [stranger]))
            #expect(unknown.finding?.reason.contains("not among the keys") == true)
            let given = try await LedgerAuditor.audit(pool, evidence: .init(keys: [SigningKey(publicJWK: key.publicJWK)]))
            #expect(given.ok && given.checkpointKeys == "given" && given.checkpointsVerified == 1)
            let others = try await LedgerAuditor.audit(pool, evidence: .init(keys: [stranger]))
            #expect(others.ok && others.checkpointsVerified == 0 && others.checkpointsUnchecked == 1)
        }
    }

    @Test("the region's head must be the log's last event")
    func head() async throws {
        try await withHistory { pool in
            try await pool.withConnection { try $0.query("UPDATE region_state SET head_position = head_position - 1") }
            #expect(try await LedgerAuditor.audit(pool).finding?.reason.contains("is not the log's last event") == true)
        }
    }
}

@Suite("replay as of a point (remit replay)")
struct LedgerReplayTests {
    private func replay(_ pool: PostgresPool, _ asOf: AsOf, pageEvents: Int) async throws -> [LedgerReplay.Row] {
        let rows = Mutex<[LedgerReplay.Row]>([])
        let count = try await LedgerReplay.remittances(pool, asOf: asOf, pageEvents: pageEvents) { page in rows.withLock { $0 += page } }
        let all = rows.withLock { $0 }
        #expect(Int64(all.count) == count)
        return all
    }

    @Test("the dashboard as of a point is the live dashboard as it was then, by position and by time")
    func dashboardAsOf() async throws {
        try await withLedger { pool, appender in
            let projector = Projector(pool: pool, logger: Logger(label: "test")), reader = LedgerReader(pool: pool)
            /// The live dashboard without statuses that no remittance holds any more.
            func live() async throws -> Dashboard {
                var dashboard = try await reader.dashboard()
                dashboard.countsByStatus = dashboard.countsByStatus.filter { $0.value != 0 }
                return dashboard
            }
            try await makeHistory(appender, count: 12)
            _ = try await projector.catchUp()
            let then = try await live()
            let thenTime: Int64 = try await pool.withConnection { try $0.query("SELECT max(recorded_at_us) FROM events")[0].decode(0) }
            try await Task.sleep(for: .milliseconds(5))
            try await makeHistory(appender, count: 13)
            _ = try await projector.catchUp()
            #expect(try await LedgerReplay.dashboard(pool, asOf: .position(then.projectedPosition)) == then)
            #expect(try await LedgerReplay.dashboard(pool, asOf: .time(microseconds: thenTime)) == then)
            let now = try await live()
            #expect(try await LedgerReplay.dashboard(pool, asOf: .position(now.projectedPosition)) == now && now != then)
        }
    }

    @Test("as of the head it is the views; as of an earlier position, the log's prefix folded; pages cut streams anywhere")
    func asOf() async throws {
        try await withLedger { pool, appender in
            try await makeHistory(appender, count: 25)
            _ = try await Projector(pool: pool, logger: Logger(label: "test")).catchUp()
            let head = try await RegionStore(pool: pool).current()!.headPosition
            let views = try await pool.withConnection { connection in
                try connection.query("SELECT \(Row.columns) FROM remittances ORDER BY id").map(Row.init(from:))
            }
            for pageEvents in [3, 10_000] {
                let replayed = try await replay(pool, .position(head), pageEvents: pageEvents)
                #expect(replayed.map(\.remittance) == views.map(\.remittance), "page of \(pageEvents)")
                #expect(replayed.map(\.createdPosition) == views.map(\.createdPosition))
            }
            // As of position 20: each remittance folded from its events up to 20, as the reader folds one.
            let early = try await replay(pool, .position(20), pageEvents: 4)
            let reader = LedgerReader(pool: pool)
            var expected: [Remittance] = []
            for view in views {
                if let state = try await reader.remittance(view.remittance.id, asOf: .position(20)) { expected.append(state) }
            }
            #expect(!early.isEmpty && early.map(\.remittance) == expected)
            #expect(try await replay(pool, .time(microseconds: 0), pageEvents: 5).isEmpty, "nothing existed in 1970")
            await #expect(throws: LedgerReplay.NotReached.self) { try await replay(pool, .position(head + 1), pageEvents: 5) }
        }
    }
}
