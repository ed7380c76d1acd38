import Foundation
import Logging
import RemitCore
import RemitPostgres
import RemitReplication
import RemitTestSupport
import Testing
@testable import RemitStorage

/// A reader database on the second cluster (region west's), migrated and claimed as a reader.
func withReader(_ body: @escaping @Sendable (PostgresPool) async throws -> Void) async throws {
    try await withReader { pool, _ in try await body(pool) }
}

/// The same, with the reader database's URL too.
func withReader(_ body: @escaping @Sendable (PostgresPool, String) async throws -> Void) async throws {
    let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
    try await withFreshPool(connectionsMax: 4, west: true) { pool, url in
        try await Migrator(pool: pool).apply(migrations)
        _ = try await RegionStore(pool: pool).claim(RegionName(rawValue: "west")!, initialRole: .reader)
        try await body(pool, url)
    }
}

@Suite("segments between two real clusters")
struct SegmentStoreTests {
    @Test("events cut from the writer and applied at the reader are identical: positions, payloads, hashes; views agree")
    func shipAndApply() async throws {
        try await withLedger { writer, appender in
            try await withReader { reader in
                for index in 0..<300 { _ = try await create(appender, key: "k\(index)", amount: Int64(100 + index)).get() }
                let source = SegmentStore(pool: writer), sink = SegmentStore(pool: reader)
                var applied = 0
                // Small segments, so several are needed.
                while let segment = try await source.cut(after: try await sink.head().head.position, eventsMax: 64) {
                    guard case .applied(let count, _, _, _) = try await sink.apply(segment.bytes) else { Issue.record("rejected"); return }
                    applied += count
                }
                #expect(applied == 301)
                #expect(try await allEvents(reader) == allEvents(writer))
                #expect(try await sink.head().head == source.head().head)
                // Idempotency keys are enforced at the reader too.
                let keys: Int64 = try await reader.withConnection { try $0.query("SELECT count(idempotency_key) FROM events")[0].decode(0) }
                #expect(keys == 300)
                // The reader's views, built from its replicated log, equal the writer's.
                try await Projector(pool: writer, logger: Logger(label: "w")).catchUp()
                try await Projector(pool: reader, logger: Logger(label: "r")).catchUp()
                let dump = "SELECT id, version, status, amount, currency FROM remittances ORDER BY id"
                let writerRows = try await writer.withConnection { try $0.query(dump).map { try $0.decode(0, as: UUID.self).uuidString + String(try $0.decode(3, as: Int64.self)) } }
                let readerRows = try await reader.withConnection { try $0.query(dump).map { try $0.decode(0, as: UUID.self).uuidString + String(try $0.decode(3, as: Int64.self)) } }
                #expect(writerRows.count == 300 && writerRows == readerRows)
                // And rebuilt from position 0 at the reader, they still do.
                _ = try await Projector.rebuild(pool: reader) { _ in }
                let rebuiltRows = try await reader.withConnection { try $0.query(dump).map { try $0.decode(0, as: UUID.self).uuidString + String(try $0.decode(3, as: Int64.self)) } }
                #expect(rebuiltRows == writerRows)
            }
        }
    }

    @Test("a rejected segment changes nothing; replays, gaps and tampering say why")
    func rejectionsChangeNothing() async throws {
        try await withLedger { writer, appender in
            try await withReader { reader in
                for index in 0..<20 { _ = try await create(appender, key: "k\(index)").get() }
                let source = SegmentStore(pool: writer), sink = SegmentStore(pool: reader)
                let first = try #require(try await source.cut(after: 0, eventsMax: 10))
                guard case .applied = try await sink.apply(first.bytes) else { Issue.record("the first segment applies"); return }
                let before = try await sink.head().head
                #expect(try await sink.apply(first.bytes) == .rejected(.replay(readerHead: 10, last: 10)))
                let later = try #require(try await source.cut(after: 15))
                #expect(try await sink.apply(later.bytes) == .rejected(.gap(readerHead: 10, first: 16)))
                let overlapping = try #require(try await source.cut(after: 5))
                #expect(try await sink.apply(overlapping.bytes) == .rejected(.overlap(readerHead: 10, first: 6)))
                var flipped = try #require(try await source.cut(after: 10)).bytes
                flipped[flipped.count - 7] ^= 0x10
                #expect(try await sink.apply(flipped) == .rejected(.checksum))
                #expect(try await sink.apply(Array(flipped.prefix(60))) == .rejected(.truncated("60 bytes, shorter than the 148-byte header")))
                #expect(try await sink.head().head == before)
                #expect(try await allEvents(reader).count == 10)
            }
        }
    }

    @Test("a writer applies no segment, and a reader asking beyond the writer's log is told so")
    func roles() async throws {
        try await withLedger { writer, _ in
            let segment = try #require(try await SegmentStore(pool: writer).cut(after: 0))
            await #expect(throws: SegmentStoreError.self) { try await SegmentStore(pool: writer).apply(segment.bytes) }
            await #expect(throws: SegmentStoreError.self) { try await SegmentStore(pool: writer).cut(after: 5) }
            #expect(try await SegmentStore(pool: writer).cut(after: 1) == nil)
        }
    }
}
