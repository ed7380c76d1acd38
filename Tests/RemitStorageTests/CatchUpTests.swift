import Foundation
import Logging
import RemitCore
import RemitPostgres
import RemitReplication
import RemitTestSupport
import Testing
@testable import RemitStorage

/// Appends `count` well-formed, hash-chained events to a writer's log inside PostgreSQL (a
/// PL/pgSQL loop with the built-in sha256), far faster than creating them one by one.
func bulkAppend(_ pool: PostgresPool, count: Int) async throws {
    try await pool.withConnection { connection in
        try connection.execute(script: """
            DO $$
            DECLARE h bytea; p bigint; rec bytea; sid uuid; payload bytea; meta bytea; t bigint; ptext text; ttext text;
            BEGIN
              SELECT head_hash, head_position INTO h, p FROM region_state FOR UPDATE;
              FOR i IN 1..\(count) LOOP
                p := p + 1; sid := gen_random_uuid(); t := 1795800000000000 + p; ptext := p::text; ttext := t::text;
                payload := convert_to('{"amount":' || (100 + i) || ',"currency":"EUR","receiverAccount":"222","receiverBank":"Second Bank",'
                  || '"receiverName":"Bob","senderAccount":"111","senderBank":"First Bank","senderName":"Alice ' || i || '"}', 'UTF8');
                meta := convert_to('{"actor":"bulk","idempotencyKey":"bulk-' || i || '"}', 'UTF8');
                -- The canonical record: eight fields, each a 4-byte big-endian length and its bytes.
                rec := int4send(length(ptext)) || convert_to(ptext, 'UTF8') || int4send(1) || '\\x31'::bytea
                    || int4send(36) || convert_to(sid::text, 'UTF8') || int4send(1) || '\\x31'::bytea
                    || int4send(17) || convert_to('RemittanceCreated', 'UTF8') || int4send(length(ttext)) || convert_to(ttext, 'UTF8')
                    || int4send(length(payload)) || payload || int4send(length(meta)) || meta;
                h := sha256(h || rec);
                INSERT INTO events (position, epoch, stream_id, stream_version, event_type, payload, metadata, idempotency_key, recorded_at_us, hash)
                  VALUES (p, 1, sid, 1, 'RemittanceCreated', payload, meta, 'bulk-' || i, t, h);
              END LOOP;
              UPDATE region_state SET head_position = p, head_hash = h;
            END $$;
            """)
    }
}

@Suite("catch-up")
struct CatchUpTests {
    @Test("a reader 1,000,000 events behind catches up segment by segment, and its log verifies")
    func millionEvents() async throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        try await withFreshPool(connectionsMax: 2) { writer, _ in
            try await withReader { reader, readerURL in
                try await Migrator(pool: writer).apply(migrations)
                _ = try await RegionStore(pool: writer).claim(RegionName(rawValue: "east")!, initialRole: .writer)
                try await bulkAppend(writer, count: 999_999)
                let source = SegmentStore(pool: writer), sink = SegmentStore(pool: reader)
                var segments = 0
                while let segment = try await source.cut(after: try await sink.head().head.position) {
                    guard case .applied = try await sink.apply(segment.bytes) else { Issue.record("segment \(segments) rejected"); return }
                    segments += 1
                }
                let (readerHead, writerHead) = (try await sink.head().head, try await source.head().head)
                #expect(readerHead.position == 1_000_000 && readerHead == writerHead)
                #expect(segments == 1_000_000 / Limits.segmentCutEventsMax, "\(Limits.segmentCutEventsMax) events a segment")
                // The independent verifier, on the reader's database.
                let verified = try runPythonVerifier(readerURL)
                #expect(verified.status == 0 && verified.output.hasPrefix("ok: 1000000 events"), "\(verified.output)")
            }
        }
    }
}
