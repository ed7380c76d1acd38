import Crypto
import Foundation
import RemitAuth
import RemitCore
import RemitDomain
import RemitPostgres

/// `remit verify` against a region's database, in one read-only snapshot: the log streamed
/// through `LogAudit` (positions, hash chain, epoch history); for the whole log, the region's
/// head against the log's last event, every quarantined tail against the log it forked from,
/// and the views against a replay of the log (each remittance, each dashboard figure, and a
/// state hash of both). Reads only; the first thing wrong is the report's finding.
public enum LedgerAuditor {
    public struct Report: Codable, Sendable, Equatable {
        public typealias Finding = LogAudit.Finding

        public var ok: Bool { finding == nil }
        public var fromPosition: Int64
        public var throughPosition: Int64
        public var events: Int64 = 0
        /// The hash of the last event that verified, lowercase hex.
        public var headHash = ""
        /// The epochs the verified events opened.
        public var epochsOpened: [Int64] = []
        /// The log's checkpoints whose signatures verified, and those signed with a key not given.
        public var checkpointsVerified: Int64 = 0
        public var checkpointsUnchecked: Int64 = 0
        /// Where the keys came from: "given" (the auditor's JWKS) or "log" (the keys the log published).
        public var checkpointKeys = "log"
        /// Kept checkpoints the log extends, and those a forced failover cut off (position: why).
        public var keptCheckpointsHeld: Int64 = 0
        public var keptCheckpointsCutOff: [String] = []
        public var quarantinedEvents: Int64 = 0
        /// The projection checkpoint the views were checked at (nil: not checked, a range was asked).
        public var viewsThrough: Int64?
        public var remittances: Int64 = 0
        /// SHA-256 over the remittances view, row by row in id order, as the replay computed it.
        public var viewsStateHash: String?
        public var finding: Finding?

        /// What the log's audit verified so far: the events, the last good hash, the epochs.
        mutating func record(_ log: LogAudit) {
            events = log.eventCount
            headHash = log.head.hash.hex
            epochsOpened = log.epochsOpened.map(\.epoch)
            checkpointsVerified = log.checkpointsVerified
            checkpointsUnchecked = log.checkpointsUnchecked
        }
    }

    /// What the audit is doing, for a progress bar: the phase, and how far it is.
    public typealias Progress = @Sendable (_ phase: String, _ done: Int64, _ total: Int64) -> Void

    /// A position and the hash an auditor noted for it on an earlier run (`remit verify`
    /// prints the head's): the log must still hold that hash there, or history up to it was
    /// rewritten, however consistently the hashes after it were recomputed.
    public struct KeptHash: Sendable, Equatable {
        public var position: Int64
        public var hash: [UInt8]

        public init(position: Int64, hash: [UInt8]) {
            self.position = position
            self.hash = hash
        }
    }

    /// What an auditor brings from outside the database: hashes and signed checkpoints kept
    /// from earlier, and the public keys checkpoints are checked with (nil: the keys the log
    /// itself published, which prove only that the log is consistent with itself).
    public struct Evidence: Sendable {
        public var keptHashes: [KeptHash]
        public var keptCheckpoints: [LedgerCheckpoint]
        public var keys: [SigningKey]?

        public init(keptHashes: [KeptHash] = [], keptCheckpoints: [LedgerCheckpoint] = [], keys: [SigningKey]? = nil) {
            self.keptHashes = keptHashes
            self.keptCheckpoints = keptCheckpoints
            self.keys = keys
        }
    }

    public static func audit(
        _ pool: PostgresPool, from: Int64? = nil, through: Int64? = nil, evidence: Evidence = Evidence(),
        progress: @escaping Progress = { _, _, _ in }
    ) async throws -> Report {
        try await pool.withConnection { connection in
            try connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            defer { _ = try? connection.query("ROLLBACK") }
            return try audit(connection, from: from, through: through, evidence: evidence, progress: progress)
        }
    }

    static func audit(_ connection: PostgresConnection, from: Int64?, through: Int64?, evidence: Evidence, progress: Progress) throws -> Report {
        let last: Int64 = try connection.query("SELECT coalesce(max(position), 0) FROM events")[0].decode(0)
        let first = max(1, from ?? 1), end = min(through ?? last, last)
        var report = Report(fromPosition: first, throughPosition: end)
        func found(_ position: Int64, _ reason: String) -> Report {
            report.finding = Report.Finding(position: position, reason: reason)
            return report
        }
        let keys = try evidence.keys ?? publishedKeys(connection)
        report.checkpointKeys = evidence.keys == nil ? "log" : "given"
        var keysByKid: [String: P256.Signing.PublicKey] = [:]
        for key in keys { keysByKid[key.kid] = key.publicKey }
        let kept = evidence.keptHashes

        // 0. Every hash the auditor kept is still where it was.
        for noted in kept.sorted(by: { $0.position < $1.position }) {
            let stored = try connection.query("SELECT hash FROM events WHERE position = $1", [noted.position]).first.map { try $0.decode(0, as: [UInt8].self) }
            guard stored == noted.hash else {
                return found(noted.position, stored.map {
                    "the log holds hash \($0.hex) here, not the \(noted.hash.hex) kept: history up to this position was rewritten"
                } ?? "the log no longer holds this position, whose hash was kept")
            }
        }

        for checkpoint in evidence.keptCheckpoints.sorted(by: { $0.position < $1.position }) {
            switch try keptCheckpoint(checkpoint, keys: keysByKid, connection) {
            case .held: report.keptCheckpointsHeld += 1
            case .cutOff(let why): report.keptCheckpointsCutOff.append("\(checkpoint.position): \(why)")
            case .broken(let reason): return found(checkpoint.position, reason)
            }
        }

        // 1. The log, page by page, from the event before `first` (trusted as stored).
        var start = LogHead(position: 0, hash: LedgerFormat.genesisHash, epoch: 0)
        if first > 1 {
            guard let row = try connection.query("SELECT hash, epoch FROM events WHERE position = $1", [first - 1]).first else {
                return found(first - 1, "the event before the range is missing")
            }
            start = LogHead(position: first - 1, hash: try row.decode(0), epoch: try row.decode(1))
        }
        var log = LogAudit(after: start, checkpointKeys: keysByKid)
        while log.head.position < end {
            let page = try connection.query(
                "SELECT \(LedgerReader.eventColumns) FROM events WHERE position > $1 AND position <= $2 ORDER BY position LIMIT $3",
                [log.head.position, end, Int64(Limits.verifyPageEvents)]
            ).map(LedgerReader.recordedEvent)
            guard !page.isEmpty else { return found(log.head.position + 1, "missing: the log ends at \(log.head.position)") }
            if let finding = log.check(page) {
                report.record(log)
                return found(finding.position, finding.reason)
            }
            progress("log", log.head.position - start.position, end - start.position)
        }
        report.record(log)
        guard from == nil && through == nil else { return report }

        // 2. The region's head is the log's last event.
        if let row = try connection.query("SELECT head_position, head_hash, epoch FROM region_state").first {
            let position: Int64 = try row.decode(0), hash: [UInt8] = try row.decode(1), epoch: Int64 = try row.decode(2)
            guard position == log.head.position, hash == log.head.hash else {
                return found(position, "the region's head (position \(position), hash \(hash.hex)) is not the log's last event (position \(log.head.position))")
            }
            guard epoch >= log.head.epoch else { return found(position, "the region is at epoch \(epoch), its log at epoch \(log.head.epoch)") }
        }

        // 3. Each quarantined tail continues the log where it forked.
        if let finding = try auditQuarantine(connection, &report, keys: keysByKid) { return found(finding.position, finding.reason) }

        // 4. The views are a replay of the log up to the projector's checkpoint.
        if let finding = try auditViews(connection, &report, progress: progress) { return found(finding.position, finding.reason) }
        return report
    }

    /// A forced failover's cut-off tail: each run of quarantined events after one fork position
    /// must chain from the log's event there, as it did in the old writer's log.
    static func auditQuarantine(
        _ connection: PostgresConnection, _ report: inout Report, keys: [String: P256.Signing.PublicKey]
    ) throws -> LogAudit.Finding? {
        let rows = try connection.query(
            "SELECT fork_position, \(LedgerReader.eventColumns) FROM quarantined_events ORDER BY fork_position, epoch, position"
        )
        var tail: LogAudit?
        var fork: Int64 = -1
        for row in rows {
            let forkPosition: Int64 = try row.decode(0)
            let event = RecordedEvent(
                position: try row.decode(1), epoch: try row.decode(2), streamID: try row.decode(3), streamVersion: try row.decode(4),
                type: try row.decode(5), payload: try row.decode(6), metadata: try row.decode(7),
                recordedAtMicroseconds: try row.decode(8), hash: try row.decode(9)
            )
            if forkPosition != fork || tail.map({ event.position != $0.head.position + 1 }) == true {
                guard let base = try connection.query("SELECT hash, epoch FROM events WHERE position = $1", [forkPosition]).first else {
                    return LogAudit.Finding(position: forkPosition, reason: "quarantine: the fork position \(forkPosition) is not in the log")
                }
                tail = LogAudit(after: LogHead(position: forkPosition, hash: try base.decode(0), epoch: try base.decode(1)), checkpointKeys: keys)
                fork = forkPosition
            }
            if let finding = tail!.check(event) {
                return LogAudit.Finding(position: finding.position, reason: "quarantine (epoch \(event.epoch), forked after \(forkPosition)): \(finding.reason)")
            }
            report.quarantinedEvents += 1
        }
        return nil
    }

    enum KeptCheckpoint: Equatable {
        case held
        /// A forced failover cut the checkpointed event off this region's log.
        case cutOff(String)
        case broken(String)
    }

    /// A checkpoint an auditor kept: it must be genuine (signed by the key it names, which the
    /// auditor must have given or the log published), and the log must still hold its hash
    /// at its position — or a forced failover must have cut that event off: in quarantine here
    /// with the same hash, or after the fork of a later epoch.
    static func keptCheckpoint(
        _ checkpoint: LedgerCheckpoint, keys: [String: P256.Signing.PublicKey], _ connection: PostgresConnection
    ) throws -> KeptCheckpoint {
        guard let key = keys[checkpoint.kid] else {
            return .broken("the kept checkpoint is signed with key \(checkpoint.kid), which is not among the keys to check it with")
        }
        guard checkpoint.isSigned(by: key) else {
            return .broken("the kept checkpoint's signature is not key \(checkpoint.kid)'s: it is not what \(checkpoint.region) signed")
        }
        let stored = try connection.query("SELECT hash FROM events WHERE position = $1", [checkpoint.position]).first.map { try $0.decode(0, as: [UInt8].self) }
        if stored?.hex == checkpoint.hash { return .held }
        let quarantined = try connection.query(
            "SELECT 1 FROM quarantined_events WHERE position = $1 AND epoch = $2 AND encode(hash, 'hex') = $3",
            [checkpoint.position, checkpoint.epoch, checkpoint.hash]
        )
        if !quarantined.isEmpty { return .cutOff("in quarantine, as signed, after a forced failover") }
        let laterEpoch = try connection.query(
            "SELECT epoch, payload FROM events WHERE stream_id = $1 AND epoch > $2 ORDER BY position LIMIT 1",
            [LedgerEvent.ledgerStreamID, checkpoint.epoch]
        ).first
        if let laterEpoch, case .epochStarted(let started)? = try? LedgerEvent.decode(type: "EpochStarted", payload: try laterEpoch.decode(1)),
            started.afterPosition < checkpoint.position
        {
            return .cutOff("epoch \(started.epoch) forked after position \(started.afterPosition): a forced failover left this event in the old writer")
        }
        return .broken(stored.map {
            "the log holds hash \($0.hex) here, not the \(checkpoint.hash) \(checkpoint.region) signed: history up to this position was rewritten"
        } ?? "the log no longer holds this position, which \(checkpoint.region) signed")
    }

    /// Every key the log published, retired ones too: checkpoints outlive a key's tokens.
    public static func publishedKeys(_ connection: PostgresConnection) throws -> [SigningKey] {
        try connection.query(
            "SELECT payload FROM events WHERE stream_id = $1 AND event_type = 'SigningKeyPublished' ORDER BY stream_version",
            [IdentityEvent.identityStreamID]
        ).compactMap { row in
            guard case .identity(.signingKeyPublished(let published)) = try LedgerEvent.decode(type: "SigningKeyPublished", payload: try row.decode(0)),
                let jwk = try? JSONDecoder().decode(PublicJWK.self, from: Data(published.publicJWK.utf8))
            else { return nil }
            return try? SigningKey(publicJWK: jwk)
        }
    }

    /// The remittances view and the dashboard against a replay, page by page of ids: each page
    /// of the view beside the events of the same ids, folded as the projector folds them.
    static func auditViews(_ connection: PostgresConnection, _ report: inout Report, progress: Progress) throws -> LogAudit.Finding? {
        let checkpoint: Int64 = try connection.query("SELECT position FROM projection_checkpoint WHERE name = 'views'")[0].decode(0)
        let total: Int64 = try connection.query("SELECT count(*) FROM remittances")[0].decode(0)
        report.viewsThrough = checkpoint
        // Every row hashed is equal to its replay (checked first), so one hash is both states'.
        var stateHash = SHA256()
        var replayed = DashboardDeltas()
        var after = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        let last = UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255))
        var isFirst = true
        while true {
            // Plain ranges, so that both queries walk their indexes (an OR in the bound would
            // make PostgreSQL scan and sort the whole table for every page).
            let from = isFirst ? ">=" : ">"
            let viewRows = try connection.query(
                "SELECT \(Row.columns) FROM remittances WHERE id \(from) $1 ORDER BY id LIMIT $2", [after, Int64(Limits.verifyPageRemittances)]
            ).map(Row.init(from:))
            let isLast = viewRows.count < Limits.verifyPageRemittances
            // The events of every stream in (after, the page's last id], or every one left on the last page.
            let events = try connection.query(
                """
                SELECT stream_id, stream_version, event_type, payload, position, recorded_at_us FROM events
                WHERE stream_id \(from) $1 AND stream_id <= $2 AND position <= $3 ORDER BY stream_id, stream_version
                """,
                [after, isLast ? last : viewRows.last!.remittance.id, checkpoint]
            )
            var replay: [UUID: Row] = [:]
            var order: [UUID] = []
            for row in events {
                let id: UUID = try row.decode(0), position: Int64 = try row.decode(4)
                guard let event = try? LedgerEvent.decode(type: try row.decode(2), payload: try row.decode(3)) else {
                    return LogAudit.Finding(position: position, reason: "its payload is not a \(try row.decode(2, as: String.self)) the ledger can read")
                }
                guard let next = Row.apply(event, id: id, version: try row.decode(1), position: position, atMicroseconds: try row.decode(5), to: replay[id]) else {
                    continue
                }
                if replay[id] == nil { order.append(id) }
                replay[id] = next
            }
            var viewByID: [UUID: Row] = [:]
            for row in viewRows { viewByID[row.remittance.id] = row }
            for id in order where viewByID[id] == nil {
                return LogAudit.Finding(position: replay[id]!.createdPosition, reason: "the views lack remittance \(id.uuidString.lowercased()), which the log created")
            }
            for row in viewRows {
                guard let expected = replay[row.remittance.id] else {
                    return LogAudit.Finding(position: row.createdPosition, reason: "the views hold remittance \(row.remittance.id.uuidString.lowercased()), which the log never created")
                }
                guard expected.sameContent(as: row) else {
                    return LogAudit.Finding(position: row.createdPosition, reason: "the views' row for remittance \(row.remittance.id.uuidString.lowercased()) is not the log's replay of it")
                }
                stateHash.update(data: expected.digestBytes)
                replayed.record(before: nil, after: expected)
                report.remittances += 1
            }
            progress("views", report.remittances, total)
            guard !isLast else { break }
            after = viewRows.last!.remittance.id
            isFirst = false
        }
        report.viewsStateHash = Array(stateHash.finalize()).hex
        return try auditDashboard(connection, replayed, checkpoint: checkpoint)
    }

    /// The dashboard's figures against those of the replayed remittances (rows left at zero
    /// by cancellations count as absent).
    static func auditDashboard(_ connection: PostgresConnection, _ replayed: DashboardDeltas, checkpoint: Int64) throws -> LogAudit.Finding? {
        func differs(_ table: String) -> LogAudit.Finding {
            LogAudit.Finding(position: checkpoint, reason: "the dashboard's \(table) figures are not those of the log's remittances")
        }
        var statuses: [String: Int64] = [:]
        for row in try connection.query("SELECT status, count FROM dashboard_status WHERE count <> 0") { statuses[try row.decode(0)] = try row.decode(1) }
        guard statuses == replayed.statuses.filter({ $0.value != 0 }) else { return differs("status") }
        var currencies: [String: [Int64]] = [:]
        for row in try connection.query("SELECT currency, count, amount FROM dashboard_currency WHERE count <> 0 OR amount <> 0") {
            currencies[try row.decode(0)] = [try row.decode(1), try row.decode(2)]
        }
        guard currencies == replayed.currencies.filter({ $0.value.count != 0 || $0.value.amount != 0 }).mapValues({ [$0.count, $0.amount] }) else {
            return differs("currency")
        }
        var corridors: [DashboardDeltas.Corridor: [Int64]] = [:]
        for row in try connection.query("SELECT sender_bank, receiver_bank, currency, count, amount FROM dashboard_corridor WHERE count <> 0 OR amount <> 0") {
            corridors[DashboardDeltas.Corridor(senderBank: try row.decode(0), receiverBank: try row.decode(1), currency: try row.decode(2))] =
                [try row.decode(3), try row.decode(4)]
        }
        guard corridors == replayed.corridors.filter({ $0.value.count != 0 || $0.value.amount != 0 }).mapValues({ [$0.count, $0.amount] }) else {
            return differs("corridor")
        }
        var minutes: [Int64: Int64] = [:]
        for row in try connection.query("SELECT minute_us, created FROM dashboard_minute WHERE created <> 0") { minutes[try row.decode(0)] = try row.decode(1) }
        guard minutes == replayed.minutes.filter({ $0.value != 0 }) else { return differs("creates-per-minute") }
        return nil
    }
}

extension Row {
    /// The same remittance, created at the same place and time (whether it was changed in
    /// this batch is no part of the content).
    func sameContent(as other: Row) -> Bool {
        remittance == other.remittance && createdPosition == other.createdPosition
            && createdAtMicroseconds == other.createdAtMicroseconds && updatedAtMicroseconds == other.updatedAtMicroseconds
    }

    /// The row's columns as the state hash covers them: each a 4-byte big-endian length and
    /// its UTF-8 (numbers in decimal, an absent value as a length of 0xFFFFFFFF).
    var digestBytes: [UInt8] {
        let r = remittance, d = r.details
        let fields: [String?] = [
            r.id.uuidString.lowercased(), String(r.version), r.status.rawValue, d.senderName, d.senderBank, d.senderAccount,
            d.receiverName, d.receiverBank, d.receiverAccount, String(d.amount), d.currency, d.reference, r.cancellationReason,
            String(createdPosition), String(createdAtMicroseconds), String(updatedAtMicroseconds),
        ]
        var bytes: [UInt8] = []
        for field in fields {
            let utf8 = field.map { Array($0.utf8) }
            let length = utf8.map { UInt32($0.count) } ?? UInt32.max
            bytes += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            bytes += utf8 ?? []
        }
        return bytes
    }
}
