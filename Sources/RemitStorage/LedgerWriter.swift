import Foundation
import RemitCore
import RemitDomain
import RemitPostgres

/// The append transaction: one batch of commands, decided against the log and written with
/// gap-free positions and the hash chain, all or nothing. Every append in a region goes through
/// here, whichever node runs it: the lock on the region row serialises them.
public enum LedgerWriter {
    /// Appends what it can of `commands`. Refused commands get their `DomainError` without
    /// affecting the rest; an infrastructure failure throws and nothing is written.
    public static func append(
        _ commands: [LedgerCommand],
        amountMax: Int64,
        on connection: PostgresConnection
    ) throws -> [Result<LedgerOutcome, DomainError>] {
        // Two round trips for a batch of creates: (BEGIN, lock, keys), then (INSERT, head, COMMIT).
        do {
            return try decideAndWrite(commands, amountMax: amountMax, on: connection)
        } catch {
            connection.rollBack()
            throw error
        }
    }

    private static func decideAndWrite(
        _ commands: [LedgerCommand],
        amountMax: Int64,
        on connection: PostgresConnection
    ) throws -> [Result<LedgerOutcome, DomainError>] {
        // 1. Begin, lock the region row (appends in this region now wait for us, and a fence,
        //    which takes the same lock, can not slip in between the check and the commit), and
        //    find the idempotency claims already in the log.
        let claims = Set(commands.compactMap { command -> IdempotencyClaim? in
            if case .create(_, _, let metadata) = command { return IdempotencyClaim(create: metadata) }
            return nil
        })
        var opening = [PostgresConnection.Statement("BEGIN"), PostgresConnection.Statement(lockHeadSQL)]
        if !claims.isEmpty { opening.append(.init(existingKeysSQL, [PostgresArray(claims.map(\.key))])) }
        let opened = try connection.pipeline(opening)
        let head = try Self.head(from: opened[1], connection)
        let keyed = claims.isEmpty ? [:] : try existingClaims(claims, from: opened[2])

        // 2. The current state of every stream the batch changes, folded from the log.
        let streamIDs = Set(commands.compactMap { command -> UUID? in
            if case .create = command { return nil }
            return command.streamID
        }).union(keyed.values.map(\.streamID))
        let streams = try loadStreams(Array(streamIDs), connection)

        // 3. Decide each command in order (pure: RemitDomain's BatchDecision).
        let decision = BatchDecision.decide(
            commands, after: LogHead(position: head.position, hash: head.hash, epoch: head.epoch), nowMicroseconds: head.nowMicroseconds,
            amountMax: amountMax, keyed: keyed, streams: streams
        )

        // 4. Write the events, move the head and commit: one more round trip.
        var closing = [PostgresConnection.Statement("COMMIT")]
        if !decision.sealed.isEmpty {
            closing.insert(contentsOf: [
                insertStatement(decision.sealed),
                .init("UPDATE region_state SET head_position = $1, head_hash = $2, updated_at = now()",
                      [decision.head.position, decision.head.hash]),
            ], at: 0)
        }
        _ = try connection.pipeline(closing)
        return decision.outcomes
    }

    struct Head {
        let epoch: Int64
        let position: Int64
        let hash: [UInt8]
        let nowMicroseconds: Int64
    }

    /// Locks the region row and reads the database clock, so every node of a region stamps
    /// events with one clock, and tells whether the write lease holds by that same clock.
    static let lockHeadSQL = """
        SELECT region, role, epoch, head_position, head_hash,
               (extract(epoch FROM clock_timestamp()) * 1000000)::int8,
               lease_expires_at IS NULL OR lease_expires_at > clock_timestamp()
        FROM region_state FOR UPDATE
        """

    /// Checks the locked row allows this region to append: the writer, at an epoch, holding
    /// its lease. A writer whose lease ran out may have been replaced by a forced failover.
    static func head(from rows: PostgresRows, _ connection: PostgresConnection) throws -> Head {
        guard let row = rows.first else {
            throw NotWriterError(region: "?", role: "unclaimed", writer: nil)
        }
        let role: String = try row.decode(1)
        let epoch: Int64 = try row.decode(2)
        guard role == RegionRole.writer.rawValue, epoch > 0 else {
            throw NotWriterError(region: try row.decode(0), role: role, writer: try latestWriter(connection))
        }
        guard try row.decode(6, as: Bool.self) else {
            throw NotWriterError(region: try row.decode(0), role: "a writer whose lease expired", writer: nil)
        }
        return Head(epoch: epoch, position: try row.decode(3), hash: try row.decode(4), nowMicroseconds: try row.decode(5))
    }

    /// The writer named by the newest `EpochStarted` in this region's log.
    static func latestWriter(_ connection: PostgresConnection) throws -> String? {
        let rows = try connection.query(
            "SELECT payload FROM events WHERE stream_id = $1 ORDER BY stream_version DESC LIMIT 1",
            [LedgerEvent.ledgerStreamID]
        )
        guard let payload = try rows.first?.decode(0, as: [UInt8].self),
            case .epochStarted(let started) = try LedgerEvent.decode(type: "EpochStarted", payload: payload)
        else { return nil }
        return started.writer
    }

    /// Every create holding one of the keys, whoever's: the index is on the key first, and the
    /// few other principals' claims of the same key are dropped by `existingClaims`. One index
    /// lookup per key (a lateral subquery the planner can not flatten), whatever the table's
    /// statistics say: with `= ANY($1)`, a planner without them (a log just loaded, before
    /// autovacuum's ANALYZE) scanned the whole log for each batch, 35–90 ms at 120,000 events.
    static let existingKeysSQL = """
        SELECT found.* FROM unnest($1::text[]) AS wanted(key) CROSS JOIN LATERAL (
            SELECT idempotency_key, idempotency_scope, stream_id, metadata FROM events
            WHERE idempotency_key = wanted.key AND idempotency_scope IS NOT NULL OFFSET 0
        ) AS found
        """

    private static func existingClaims(
        _ claims: Set<IdempotencyClaim>, from rows: PostgresRows
    ) throws -> [IdempotencyClaim: BatchDecision.KeyedCreate] {
        var found: [IdempotencyClaim: BatchDecision.KeyedCreate] = [:]
        for row in rows {
            let claim = IdempotencyClaim(key: try row.decode(0), scope: try row.decode(1))
            guard claims.contains(claim) else { continue }
            let metadata = try JSONDecoder().decode(EventMetadata.self, from: Data(try row.decode(3, as: [UInt8].self)))
            found[claim] = BatchDecision.KeyedCreate(streamID: try row.decode(2), requestHash: metadata.requestHash)
        }
        return found
    }

    /// Folds each stream's events into its current state.
    static func loadStreams(_ ids: [UUID], _ connection: PostgresConnection) throws -> [UUID: Remittance] {
        guard !ids.isEmpty else { return [:] }
        var states: [UUID: Remittance] = [:]
        for row in try connection.query(
            // One index range per stream, as `existingKeysSQL` does for keys.
            """
            SELECT found.* FROM unnest($1::uuid[]) AS wanted(id) CROSS JOIN LATERAL (
                SELECT stream_id, stream_version, event_type, payload, recorded_at_us FROM events WHERE stream_id = wanted.id OFFSET 0
            ) AS found
            ORDER BY found.stream_id, found.stream_version
            """,
            [PostgresArray(ids)]
        ) {
            let id: UUID = try row.decode(0)
            let event = try LedgerEvent.decode(type: try row.decode(2), payload: try row.decode(3))
            let at = Date(timeIntervalSince1970: Double(try row.decode(4, as: Int64.self)) / 1_000_000)
            states[id] = Decider.apply(event, id: id, version: try row.decode(1), at: at, to: states[id])
        }
        return states
    }

    /// One INSERT for the whole batch: each column travels as one array parameter. Each
    /// event's idempotency claim comes from the event itself, the same at writer and reader.
    public static func insertStatement(_ events: [RecordedEvent]) -> PostgresConnection.Statement {
        let claims = events.map(IdempotencyClaim.init)
        return .init(
            """
            INSERT INTO events (position, epoch, stream_id, stream_version, event_type, payload, metadata,
                                idempotency_key, idempotency_scope, recorded_at_us, hash)
            SELECT * FROM unnest($1::int8[], $2::int8[], $3::uuid[], $4::int4[], $5::text[], $6::bytea[], $7::bytea[],
                                 $8::text[], $9::text[], $10::int8[], $11::bytea[])
            """,
            [
                PostgresArray(events.map(\.position)), PostgresArray(events.map(\.epoch)),
                PostgresArray(events.map(\.streamID)), PostgresArray(events.map(\.streamVersion)),
                PostgresArray(events.map(\.type)), PostgresArray(events.map(\.payload)),
                PostgresArray(events.map(\.metadata)), PostgresArray(claims.map { $0?.key }), PostgresArray(claims.map { $0?.scope }),
                PostgresArray(events.map(\.recordedAtMicroseconds)), PostgresArray(events.map(\.hash)),
            ]
        )
    }

    /// Opens epoch 1 in a fresh writer region: the first event of the log is
    /// `EpochStarted(1, writer: region)`. Does nothing if the region already has an epoch.
    static func openFirstEpoch(_ connection: PostgresConnection) throws {
        let rows = try connection.query("""
            SELECT region, role, epoch, head_position, (extract(epoch FROM clock_timestamp()) * 1000000)::int8
            FROM region_state FOR UPDATE
            """)
        guard let row = rows.first, try row.decode(1, as: String.self) == RegionRole.writer.rawValue,
            try row.decode(2, as: Int64.self) == 0, try row.decode(3, as: Int64.self) == 0
        else { return }
        let region: String = try row.decode(0)
        let started = EpochStarted(epoch: 1, writer: region, afterPosition: 0, previousHash: LedgerFormat.genesisHash.hex)
        let event = LedgerFormat.seal(
            position: 1, epoch: 1, streamID: LedgerEvent.ledgerStreamID, streamVersion: 1, event: .epochStarted(started),
            metadata: EventMetadata(actor: "system"), recordedAtMicroseconds: try row.decode(4),
            previousHash: LedgerFormat.genesisHash
        )
        let insert = insertStatement([event])
        try connection.query(insert.sql, insert.parameters)
        try connection.query(
            "UPDATE region_state SET epoch = 1, head_position = 1, head_hash = $1, updated_at = now()", [event.hash]
        )
        try RoutingStore.write(RoutingRecord(epoch: 1, revision: 0, activeRegion: RegionName(rawValue: region)!, state: .active), connection)
    }
}
