import RemitPostgres
import RemitWire

/// How a node takes part in replication. Without a key, it neither serves nor pulls segments.
public struct ReplicationConfiguration: Sendable {
    public var key: ReplicationKey?
    /// Regions that may pull this node's log (the writer serves segments only to regions it knows).
    public var pullingRegions: Set<String>
    /// The other region's node to pull from while this region is a reader.
    public var source: String?

    public init(key: ReplicationKey? = nil, pullingRegions: Set<String> = [], source: String? = nil) {
        self.key = key
        self.pullingRegions = pullingRegions
        self.source = source
    }
}

/// What a node's routes and services share for replication.
public struct NodeReplication: Sendable {
    public let configuration: ReplicationConfiguration
    public let store: SegmentStore
    public let commits: CommitSignal
    public let status: ReplicationStatus
    /// The writer's side: segments for pullers.
    public let service: SegmentService

    public init(configuration: ReplicationConfiguration, pool: PostgresPool) {
        self.configuration = configuration
        store = SegmentStore(pool: pool)
        commits = CommitSignal()
        status = ReplicationStatus()
        service = SegmentService(store: store, commits: commits, status: status)
    }
}
