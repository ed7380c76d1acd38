/// An idempotency key as the log claims it. A client's key belongs to the principal that sent
/// it: two clients who happen to pick the same key make two remittances, and neither can see
/// or squat on the other's (the scope is the create's actor). The system's own keys (an audit
/// entry's `audit:<id>`) have no scope. Writer and reader both derive the claim from the
/// recorded event alone, so a promoted reader finds exactly the claims its writer made.
public struct IdempotencyClaim: Hashable, Sendable {
    public var key: String
    /// The principal whose key this is; nil for the system's own keys.
    public var scope: String?

    public init(key: String, scope: String?) {
        self.key = key
        self.scope = scope
    }

    /// The claim a create command makes: its key, scoped to its actor.
    public init?(create metadata: EventMetadata) {
        guard let key = metadata.idempotencyKey else { return nil }
        self.init(key: key, scope: metadata.actor)
    }

    /// The claim a recorded event makes: a create's key is its actor's; any other key is the system's.
    public init?(_ event: RecordedEvent) {
        guard let key = EventMetadata.string(.idempotencyKey, in: event.metadata) else { return nil }
        self.init(key: key, scope: event.type == LedgerEvent.remittanceCreatedType ? EventMetadata.string(.actor, in: event.metadata) : nil)
    }
}
