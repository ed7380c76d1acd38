import Foundation

/// One batch of commands decided in order against the log, as the append transaction found
/// it: each accepted command is sealed onto the hash chain after the one before, each refused
/// one gets its `DomainError` without touching the rest. Pure: the append transaction reads
/// the head, the idempotency keys and the streams, calls this, and writes what it returns.
public struct BatchDecision: Sendable {
    /// An earlier create's idempotency claim: the remittance it made and its request's hash.
    public struct KeyedCreate: Sendable, Equatable {
        public var streamID: UUID
        public var requestHash: String?

        public init(streamID: UUID, requestHash: String?) {
            self.streamID = streamID
            self.requestHash = requestHash
        }
    }

    /// The events to write, in position order.
    public private(set) var sealed: [RecordedEvent] = []
    /// One outcome per command, in the commands' order.
    public private(set) var outcomes: [Result<LedgerOutcome, DomainError>] = []
    /// The head after the sealed events (the head given when none was accepted).
    public private(set) var head: LogHead

    /// Decides `commands` after `head`, stamping events with `nowMicroseconds` (the database
    /// clock read under the region lock). `keyed` holds the log's creates for the batch's
    /// claims (key and principal), `streams` the current state of every remittance the batch names.
    public static func decide(
        _ commands: [LedgerCommand], after head: LogHead, nowMicroseconds: Int64, amountMax: Int64,
        keyed: [IdempotencyClaim: KeyedCreate], streams: [UUID: Remittance]
    ) -> BatchDecision {
        var decision = BatchDecision(head: head)
        var keyed = keyed, streams = streams
        let at = Date(timeIntervalSince1970: Double(nowMicroseconds) / 1_000_000)
        for command in commands {
            if case .create(_, _, let metadata) = command, let claim = IdempotencyClaim(create: metadata), let earlier = keyed[claim] {
                if earlier.requestHash == metadata.requestHash, let current = streams[earlier.streamID] {
                    decision.outcomes.append(.success(LedgerOutcome(remittance: current, isRepeat: true, position: nil)))
                } else {
                    decision.outcomes.append(.failure(.idempotencyKeyReused(claim.key)))
                }
                continue
            }
            switch Self.decide(command, streams: streams, amountMax: amountMax) {
            case .failure(let error):
                decision.outcomes.append(.failure(error))
            case .success(let (id, version, event)):
                let recorded = LedgerFormat.seal(
                    position: decision.head.position + 1, epoch: head.epoch, streamID: id, streamVersion: version, event: event,
                    metadata: command.metadata, recordedAtMicroseconds: nowMicroseconds, previousHash: decision.head.hash
                )
                decision.head = LogHead(position: recorded.position, hash: recorded.hash, epoch: head.epoch)
                decision.sealed.append(recorded)
                // A decided event always applies: the decider checked it against this state.
                let state = Decider.apply(event, id: id, version: version, at: at, to: streams[id])!
                streams[id] = state
                if case .create = command, let claim = IdempotencyClaim(create: command.metadata) {
                    keyed[claim] = KeyedCreate(streamID: id, requestHash: command.metadata.requestHash)
                }
                decision.outcomes.append(.success(LedgerOutcome(remittance: state, isRepeat: false, position: recorded.position)))
            }
        }
        precondition(decision.outcomes.count == commands.count, "every command has one outcome")
        return decision
    }

    /// One command's event with the stream and version it is written at, or why it is refused.
    private static func decide(
        _ command: LedgerCommand, streams: [UUID: Remittance], amountMax: Int64
    ) -> Result<(UUID, Int32, LedgerEvent), DomainError> {
        switch command {
        case .create(let id, let details, _):
            Decider.create(details, amountMax: amountMax).map { (id, 1, $0) }
        case .amend(let id, let expectedVersion, let changes, _):
            Decider.amend(changes, expectedVersion: expectedVersion, current: streams[id], id: id, amountMax: amountMax)
                .map { (id, expectedVersion + 1, $0) }
        case .cancel(let id, let expectedVersion, let reason, _):
            Decider.cancel(reason: reason, expectedVersion: expectedVersion, current: streams[id], id: id)
                .map { (id, expectedVersion + 1, $0) }
        }
    }
}
