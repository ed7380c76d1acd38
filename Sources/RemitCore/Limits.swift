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
    /// batches instead of one small transaction per append batch. This is also about the most
    /// the views lag behind the log while writes flow and the projector keeps up (at 100 ms,
    /// a standby's list showed a create 110–120 ms after it was acknowledged at 50 creates/s;
    /// at 25 ms, 28 ms p50 and 48 ms p99: `remit bench replication --rate 50`).
    public static let projectorRunIntervalMillisecondsMin: Int64 = 25
    /// How often the projector looks for new events when nobody told it of any.
    public static let projectorPollMilliseconds: Int64 = 250
    /// Page sizes of list endpoints: default and most.
    public static let pageItemsDefault = 50
    public static let pageItemsMax = 500
    /// The longest `Idempotency-Key` accepted.
    public static let idempotencyKeyLengthMax = 128
    /// Remittances one batch request (`POST /api/v1/remittance-batches`) may create: a payroll
    /// file's page. Below `appendQueueDepthMax`, so one batch always fits an empty queue.
    public static let batchItemsMax = 1_000

    // MARK: LZ4

    /// The largest uncompressed size a compressed buffer may declare. Checked before allocating,
    /// so a hostile or corrupt header can not make us allocate without bound.
    public static let lz4DecompressedBytesMax = 64 * 1024 * 1024

    // MARK: HTTP

    /// The largest request body a node or the router reads into memory.
    public static let httpRequestBodyBytesMax = 1024 * 1024
    /// The largest body of a remittance write (create, amend, cancel) or a quarantine dismissal:
    /// room for the largest valid one even with every character \u-escaped (12 bytes each).
    public static let remittanceBodyBytesMax = 16 * 1024
    /// The largest body of a batch of remittances: what the router and a node read at most,
    /// room for `batchItemsMax` items of about 1 KiB each.
    public static let batchBodyBytesMax = httpRequestBodyBytesMax
    /// The largest body of a sign-in, refresh, logout or user change.
    public static let authBodyBytesMax = 4 * 1024
    /// Request header fields, and their bytes (names and values), a node or the router accepts.
    public static let httpHeaderFieldsMax = 64
    public static let httpHeaderBytesMax = 16 * 1024
    /// How long a client connection may stay silent (no bytes either way) before the node or
    /// router closes it: idle or stalled clients do not hold connections for ever.
    public static let httpIdleTimeoutSeconds: Int64 = 30
    /// How long the router holds a request while a failover switches writers…
    public static let routerHoldMillisecondsMax: Int64 = 5_000
    /// …or, while the routing record says a forced failover is switching, this long: enough
    /// for the failover to wait out the old writer's lease (with both margins) and promote, so
    /// clients of a forced failover started promptly see a pause rather than 503s…
    public static let routerHoldFailingOverMillisecondsMax: Int64 =
        writeLeaseMilliseconds + forcedFailoverLeaseMarginMilliseconds + leaseRecordAgeMillisecondsMax + 2_000
    /// …how many it holds at once (past that, 503 at once)…
    public static let routerHeldRequestsMax = 1_000
    /// …and how often it checks the regions meanwhile.
    public static let routerHoldCheckMilliseconds: Int64 = 25
    /// How long the router waits for a region's answer to a proxied request.
    public static let proxyTimeoutMilliseconds: Int64 = 30_000

    // MARK: Rate limits

    /// Requests per second the router lets one client address make, sustained…
    public static let routerRequestsPerSecondPerAddress: Double = 1_000
    /// …and at once.
    public static let routerBurstPerAddress: Double = 2_000
    /// Client addresses the router tracks at most; idle ones are forgotten first.
    public static let rateLimitAddressesMax = 10_000

    /// Requests per second one principal (a signed-in user or an external subject) may make at
    /// a node, sustained and at once. High enough for a bank's service account driving the
    /// append benchmark; low enough that one stolen token can not take a node's whole capacity.
    public static let nodeRequestsPerSecondPerPrincipal: Double = 20_000
    public static let nodeBurstPerPrincipal: Double = 20_000
    /// Principals a node tracks at most for rate limiting.
    public static let rateLimitPrincipalsMax = 10_000

    // MARK: Identity

    /// bcrypt's cost: 2^10 rounds, tens of milliseconds per hash on a current core.
    public static let bcryptCost: UInt8 = 10
    /// How long an access token is good for.
    public static let accessTokenLifetimeSeconds: Int64 = 15 * 60
    /// How long a refresh token is good for if it is never used (each use replaces it).
    public static let refreshTokenLifetimeSeconds: Int64 = 12 * 60 * 60
    /// The longest bearer token read; longer ones are refused unparsed.
    public static let accessTokenBytesMax = 8 * 1024
    /// The longest `sub` accepted from any issuer.
    public static let tokenSubjectBytesMax = 256
    /// Verified tokens a node remembers, so signature checks do not cap throughput.
    public static let tokenCacheEntriesMax = 10_000
    /// Wrong passwords in a row after which a user name is locked…
    public static let signInFailuresMax = 5
    /// …for this long, whether or not the name exists.
    public static let signInLockSeconds: Int64 = 300
    /// User names whose failures a node remembers at most.
    public static let signInNamesMax = 10_000
    /// Sign-in and refresh attempts per second one client address may make, sustained and at once.
    public static let signInAttemptsPerSecondPerAddress: Double = 2
    public static let signInBurstPerAddress: Double = 20
    /// Sign-ins hashing at once; more wait, so bcrypt can not starve the appender of CPU.
    public static let passwordChecksConcurrentMax = 2
    /// How often a node reads the signing keys again (another region's rotation reaches it this late at most).
    public static let signingKeysReloadMilliseconds: Int64 = 5_000
    /// How often an external identity provider's JWKS is fetched again.
    public static let externalJWKSReloadSeconds: Int64 = 300
    /// The largest JWKS document read from a provider.
    public static let jwksBytesMax = 256 * 1024
    /// How often a node looks for identity changes to log (at the writer) or audit entries to
    /// carry to the writer (at a reader): how late a reader's audit entry reaches the log.
    public static let identityUpkeepMilliseconds: Int64 = 1_000
    /// Audit entries logged from an outbox in one append (or forwarded in one request).
    public static let auditOutboxBatchMax = 500
    /// The largest body of forwarded audit entries (a batch of entries at their field limits).
    public static let auditForwardBytesMax = 4 * 1024 * 1024
    /// Matches the remittance table counts at most (`count=true`); more shows as "1,000+".
    public static let tableCountMax = 1_000
    /// How long a table query may run as PostgreSQL planned it before it is asked again without
    /// walking a sort index: a walk that meets matches at once is the fastest plan there is,
    /// one that must pass many rows that do not match (the matches cluster at the far end of the
    /// sort, or there are none) is the slowest, and the planner can not tell which it will be.
    public static let tableQueryPlannedMillisecondsMax = 20
    /// Times the rollback that ends that bound is asked for when the bound cancels it too.
    public static let tableQueryRollbackAttemptsMax = 5
    /// Users listed at most.
    public static let usersListedMax = 1_000

    // MARK: Replication

    /// Events one segment carries at most (what a reader accepts)…
    public static let segmentEventsMax = 20_000
    /// …and what a writer cuts: smaller, so the two segments a catching-up reader asks for at
    /// once (one applied, the next prefetched) cost the writer tens of megabytes rather than
    /// hundreds; with the prefetch, a reader far behind catches up as fast as with 20,000.
    public static let segmentCutEventsMax = 5_000
    /// …and uncompressed bytes (checked from the header before anything is decompressed).
    public static let segmentBytesMax = 16 * 1024 * 1024
    /// The largest segment answer a puller reads: a full segment can not compress worse than LZ4's bound.
    public static let segmentResponseBytesMax = segmentBytesMax + segmentBytesMax / 128 + 4_096
    /// How long a long-poll waits for a commit signal before it looks at the log again: the
    /// signal comes from this node's appender only, and other processes append too (`remit
    /// users`, a failover's audit entry, a reconcile), which then reach readers this late at most.
    public static let segmentRecheckMilliseconds: Int64 = 250
    /// How long a caught-up writer waits after a commit signal for more, so one segment
    /// carries what a burst commits, before answering a pull.
    public static let segmentLingerMilliseconds: Int64 = 2
    /// The longest a pull may ask the writer to wait for something new before answering
    /// "nothing yet" (204)…
    public static let pullWaitMillisecondsMax: Int64 = 10_000
    /// …what the puller asks for: short, because a connection a partition cut silently is
    /// noticed only when the answer is late (an idle reader then asks every 2 s)…
    public static let pullWaitMilliseconds: Int64 = 2_000
    /// …and how long the puller waits for the answer beyond that wait: a reader cut from the
    /// writer notices within the two, and pulls again as soon as the network heals.
    public static let pullTimeoutMarginMilliseconds: Int64 = 2_000
    /// The puller's back-off after a failure: it doubles from the first to the most.
    public static let pullBackoffMillisecondsMin: Int64 = 100
    public static let pullBackoffMillisecondsMax: Int64 = 2_000
    /// How often a node whose region's puller lock another node holds tries to take it.
    public static let standbyPullerCheckMilliseconds: Int64 = 1_000
    /// A replication request's timestamp may differ from the writer's clock by this much.
    public static let replicationClockSkewSecondsMax: Int64 = 60

    // MARK: Failover

    /// A planned failover starts only if the target is at most this many events behind.
    public static let failoverPreflightLagEventsMax: Int64 = 100_000
    /// How long the target may take to apply everything the fenced writer has; past it, the
    /// failover is rolled back (the writer unfenced) and nothing else changed.
    public static let failoverDrainTimeoutMilliseconds: Int64 = 30_000
    /// How often the drain step reads the target's head.
    public static let failoverDrainPollMilliseconds: Int64 = 2
    /// How often a forced failover asks the router which routing record it follows.
    public static let forcedFailoverRouterPollMilliseconds: Int64 = 50

    // MARK: Write lease

    /// How long a writer may append after the router last renewed its lease. A writer cut off
    /// from every router stops by itself within this, which is what lets a forced failover
    /// open the next epoch elsewhere without two writers.
    public static let writeLeaseMilliseconds: Int64 = 5_000
    /// The longest lease a renewal may ask for.
    public static let writeLeaseMillisecondsMax: Int64 = 60_000
    /// The shortest lease an operator may set (`--lease-milliseconds`): renewals every third of
    /// it, each allowed `leaseRenewTimeoutMilliseconds`, must land well within it.
    public static let writeLeaseMillisecondsMin: Int64 = 2_000
    /// How often the router renews the active writer's lease.
    public static let leaseRenewIntervalMilliseconds: Int64 = 1_000
    /// How long one renewal may take, in the router and in the writer's database (statement
    /// timeout): a renewal can not land later than this after the router decided to send it.
    public static let leaseRenewTimeoutMilliseconds: Int64 = 1_000
    /// The router renews only on a view of the routing record at most this old, so a
    /// "failing-over" record written anywhere it can read stops renewals within this. More than
    /// a health check's timeout: a round waits for its slowest region, and a region cut off by a
    /// partition answers no sooner than that, yet the writer's lease must still be renewed.
    public static let leaseRecordAgeMillisecondsMax: Int64 = healthCheckTimeoutMilliseconds + 500
    /// A forced failover, when the router confirms it saw "failing-over", waits the lease plus
    /// this; when it can not ask the router, the record age on top.
    public static let forcedFailoverLeaseMarginMilliseconds: Int64 = leaseRenewTimeoutMilliseconds + 250
    /// How long a forced failover waits for the router to show the "failing-over" record: the
    /// round under way when it was written, the pause, and the next round, each round as slow
    /// as its slowest region (the old writer's, cut off, takes the whole timeout).
    public static let forcedFailoverRouterWaitMilliseconds: Int64 =
        2 * healthCheckTimeoutMilliseconds + healthCheckIntervalMilliseconds + 1_000
    /// How often a writer or fenced region asks the other region whether it opened a newer epoch.
    public static let rejoinCheckIntervalMilliseconds: Int64 = 1_000
    /// The largest epoch history a region reads from another (one line per failover).
    public static let epochHistoryBytesMax = 4 * 1024 * 1024

    // MARK: Router health checks

    /// How often the router asks each region whether it is ready.
    public static let healthCheckIntervalMilliseconds: Int64 = 1_000
    /// How long one health check may take before the region counts as unreachable.
    public static let healthCheckTimeoutMilliseconds: Int64 = 2_000
    /// How often the router takes a sample of both regions' key figures for the console's charts.
    public static let figureSampleMilliseconds: Int64 = 5_000
    /// How far back those charts go; with the interval, the samples kept (360: a few hundred KB at most).
    public static let figureHistorySeconds: Int64 = 30 * 60
    /// An automatic forced failover (opt-in) goes to a reader at most this many events behind
    /// the old writer's last head unless the operator sets another bound: what it may cut off.
    public static let autoFailoverLagEventsMaxDefault: Int64 = 1_000
    /// After an automatic failover, a writer serves this long before another can fire.
    public static let autoFailoverRearmSeconds: Int64 = 300
    /// How long the router waits for the target's node to run the forced failover it asked for.
    public static let autoFailoverRequestMilliseconds: Int64 = 120_000
    /// Alarm changes the router keeps while no region can record them in its audit trail
    /// (beyond it the oldest are dropped, and the router's log says so).
    public static let alarmChangesPendingMax = 1_000
    /// The latest alarm changes `GET /api/v1/regions` (and so the Regions page) shows.
    public static let alarmChangesShownMax = 10
    /// Alarm changes sent to a region in one request, and that request's body.
    public static let alarmChangesPerRequestMax = 50
    public static let alarmChangesBodyBytesMax = 256 * 1024

    // MARK: Embedded stack

    /// How long `remit up` waits for a cluster, a node or the router to become ready.
    public static let startupTimeoutMilliseconds: Int64 = 60_000
    /// How long a child process has to exit after SIGTERM before it gets SIGKILL.
    public static let childStopTimeoutMilliseconds: Int64 = 10_000
    /// A process or cluster of `remit up` that dies is started again after a back-off that
    /// doubles from the first to the last of these with each restart in the window…
    public static let restartBackoffMillisecondsMin: Int64 = 250
    public static let restartBackoffMillisecondsMax: Int64 = 8_000
    /// …at most this many times within the window; one more, and the stack stops with the
    /// reason (a crash loop is shown, not hidden).
    public static let restartsPerWindowMax = 5
    public static let restartWindowSeconds: Int64 = 300
    /// How often `remit up` looks at its processes and clusters.
    public static let superviseIntervalMilliseconds: Int64 = 200

    // MARK: Auditing (remit verify)

    /// Events read per query while `remit verify` streams a log, and remittances per page of
    /// the views' check: a page of each is held in memory at a time.
    public static let verifyPageEvents = 10_000
    public static let verifyPageRemittances = 5_000
    /// Events folded per page by `remit projections rebuild`; the page's rows are loaded with
    /// one COPY. A page (and its rows) is what the rebuild holds in memory.
    public static let rebuildPageEvents = 10_000
    /// Connections `remit projections rebuild` works on at once: its fold in as many ranges of
    /// stream ids, then its index builds (PostgreSQL builds a GIN index on one core; these
    /// machines have two).
    public static let rebuildConnectionsMax = 2
    /// At most this many rows differing from the fold are rewritten in the live table (in one
    /// transaction that holds the projectors back: about 0.2 ms a row with the table's 22
    /// indexes); more, and the rebuild builds a new table with its indexes and swaps it in.
    public static let rebuildRewriteRowsMax = 10_000
    /// `work_mem` of the rebuild's comparison, which hashes the live table whole (about 210 MB
    /// for a million rows): in one pass, 1.2 s for a million rows here; spilled, 1.8 s.
    public static let rebuildCompareMemoryMegabytes = 256
    /// The writer signs a checkpoint of its head after this many events, or after
    /// `checkpointIntervalMilliseconds` with at least one new event: an auditor who keeps the
    /// latest checkpoint can prove at most that much of the log was not rewritten since.
    /// One checkpoint event per 10,000 costs the log 0.01 % of its events.
    public static let checkpointEventsMax: Int64 = 10_000
    public static let checkpointIntervalMilliseconds: Int64 = 10_000
}
