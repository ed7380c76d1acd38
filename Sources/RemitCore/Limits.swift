/// Every bound Remit enforces, in one place, so that a reviewer can see at a glance how much
/// memory, time and concurrency any part of the service may take. Names end in their unit.
public enum Limits {
    // MARK: PostgreSQL

    /// Connections one pool may open. libpq calls block a thread each, so the pool's thread
    /// pool has exactly this many threads: a query never waits for a thread, only for a connection.
    public static let poolConnectionsMax = 8
    /// How long a caller may wait for a free connection before it gets `PostgresError.Code.poolTimeout`.
    public static let poolAcquireTimeoutMilliseconds: Int64 = 10_000
    /// Callers that may wait for a connection at once; past that, acquiring fails at once
    /// (`poolExhausted`) rather than queueing without bound.
    public static let poolWaitersMax = 1_024
    /// libpq's own connect timeout, in whole seconds (its unit).
    public static let connectTimeoutSeconds = 5
    /// Bytes one COPY buffers before handing them to libpq, so a bulk load of any size
    /// holds a bounded amount in memory.
    public static let copyBufferBytesMax = 256 * 1024

    // MARK: Ledger

    /// The largest amount one remittance may carry, in minor units (1,000,000,000.00 of a
    /// two-digit currency). Configurable per node; this is the default.
    public static let amountMinorUnitsMax: Int64 = 100_000_000_000
    /// Commands waiting for the appender; past this a request gets 503 at once instead of
    /// queueing without bound.
    public static let appendQueueDepthMax = 4_096
    /// Commands one group-commit transaction takes at most.
    public static let appendBatchCommandsMax = 512
    /// Request bytes (bodies) one group-commit transaction takes at most.
    public static let appendBatchBytesMax = 4 * 1024 * 1024
    /// How long the appender waits after the first command of a batch for more to arrive.
    /// Zero: batches form by themselves while the previous one commits.
    public static let appendLingerMicroseconds = 0
    /// Events the projector applies in one transaction.
    public static let projectorBatchEventsMax = 1_000
    /// The least time between two projector runs: under load, events gather into larger
    /// batches instead of one small transaction per append batch. This is also the most the
    /// views lag behind the log while writes flow.
    public static let projectorRunIntervalMillisecondsMin: Int64 = 100
    /// How often the projector looks for new events when nobody told it of any.
    public static let projectorPollMilliseconds: Int64 = 250
    /// Page sizes of list endpoints: default and most.
    public static let pageItemsDefault = 50
    public static let pageItemsMax = 500
    /// The longest `Idempotency-Key` accepted.
    public static let idempotencyKeyLengthMax = 128

    // MARK: LZ4

    /// The largest uncompressed size a compressed buffer may declare. Checked before allocating,
    /// so a hostile or corrupt header can not make us allocate without bound.
    public static let lz4DecompressedBytesMax = 64 * 1024 * 1024

    // MARK: HTTP

    /// The largest request body a node or the router reads into memory.
    public static let httpRequestBodyBytesMax = 1024 * 1024
    /// How long a client connection may stay silent (no bytes either way) before the node or
    /// router closes it: idle or stalled clients do not hold connections for ever.
    public static let httpIdleTimeoutSeconds: Int64 = 30
    /// How long the router waits for a region's answer to a proxied request.
    public static let proxyTimeoutMilliseconds: Int64 = 30_000

    // MARK: Rate limits

    /// Requests per second the router lets one client address make, sustained…
    public static let routerRequestsPerSecondPerAddress: Double = 1_000
    /// …and at once.
    public static let routerBurstPerAddress: Double = 2_000
    /// Client addresses the router tracks at most; idle ones are forgotten first.
    public static let rateLimitAddressesMax = 10_000

    // MARK: Router health checks

    /// How often the router asks each region whether it is ready.
    public static let healthCheckIntervalMilliseconds: Int64 = 1_000
    /// How long one health check may take before the region counts as unreachable.
    public static let healthCheckTimeoutMilliseconds: Int64 = 2_000

    // MARK: Embedded stack

    /// How long `remit up` waits for a cluster, a node or the router to become ready.
    public static let startupTimeoutMilliseconds: Int64 = 60_000
    /// How long a child process has to exit after SIGTERM before it gets SIGKILL.
    public static let childStopTimeoutMilliseconds: Int64 = 10_000
}
