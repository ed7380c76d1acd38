import RemitSegment
import RemitCore
import RemitFailover
import RemitMetrics
import RemitPostgres
import RemitReplication
import RemitStorage
import Synchronization

/// A node's own figures for `/metrics`, read when scraped: the region's role, epoch, head and
/// lease (one query of the region row), how far the views trail the log, replication (from the
/// status the puller and the segment service keep), and the database pool.
enum NodeMetrics {
    /// What the appender reports after each batch: batches by outcome, commands, events
    /// appended, the batch's size and its transaction's duration.
    static func appendObserver(_ metrics: MetricsRegistry) -> @Sendable (Appender.Batch) -> Void {
        let batches = Dictionary(uniqueKeysWithValues: Appender.Batch.Outcome.allCases.map { outcome in
            (outcome, metrics.counter("remit_append_batches_total", "Append transactions (group commits), by how they ended.", labels: [("outcome", outcome.rawValue)]))
        })
        let commands = metrics.counter("remit_append_commands_total", "Commands taken into append batches.")
        let events = metrics.counter("remit_append_events_total", "Events appended to the log by this node.")
        let sizes = metrics.values(
            "remit_append_batch_commands", "Commands per append batch.", buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1_024]
        )
        let durations = metrics.durations("remit_append_commit_duration_seconds", "Time of an append transaction, from its first statement to its commit.")
        return { batch in
            batches[batch.outcome]?.increment()
            commands.increment(by: Int64(batch.commands))
            events.increment(by: Int64(batch.appended))
            sizes.record(Double(batch.commands))
            durations.record(batch.elapsed)
        }
    }

    static func register(in metrics: MetricsRegistry, node: RegionNode, replication: NodeReplication, appender: Appender) {
        let queueDepth = metrics.gauge("remit_append_queue_depth", "Commands waiting for the next append batch.")
        let up = metrics.gauge("remit_database_up", "1 when the scrape could read the region's database, else 0.")
        let head = metrics.gauge("remit_ledger_head_position", "The position of the last event in this region's log.")
        let epoch = metrics.gauge("remit_ledger_epoch", "The region's writer epoch.")
        let roles = RegionRole.allCases.map { role in
            (role, metrics.gauge("remit_region_role", "1 for the role the region has now, 0 for the others.", labels: [("role", role.rawValue)]))
        }
        let lease = metrics.gauge("remit_write_lease_remaining_seconds", "Seconds left on the writer's lease (0 at a reader, or once lapsed).")
        let projectionLag = metrics.gauge("remit_projection_lag_events", "Events in the log the views do not include yet.")
        let lagEvents = metrics.gauge("remit_replication_lag_events", "Events the writer holds that this reader has not applied.")
        let lagSeconds = metrics.gauge("remit_replication_lag_seconds", "Age of the oldest event this reader has not applied.")
        let applied = (
            segments: MirroredCounter(metrics.counter("remit_replication_segments_applied_total", "Segments applied from the writer.")),
            events: MirroredCounter(metrics.counter("remit_replication_events_applied_total", "Events applied from the writer.")),
            bytes: MirroredCounter(metrics.counter("remit_replication_applied_bytes_total", "Compressed segment bytes applied from the writer."))
        )
        let served = (
            segments: MirroredCounter(metrics.counter("remit_replication_segments_served_total", "Segments served to readers.")),
            bytes: MirroredCounter(metrics.counter("remit_replication_served_bytes_total", "Compressed segment bytes served to readers."))
        )
        let rejections = SegmentRejection.kinds.map { kind in
            (kind, MirroredCounter(metrics.counter(
                "remit_replication_segments_rejected_total", "Segments this reader refused, by reason.", labels: [("reason", kind)]
            )))
        }
        let poolOpen = metrics.gauge("remit_db_pool_connections", "Database connections open (in use or idle).")
        let poolInUse = metrics.gauge("remit_db_pool_connections_in_use", "Database connections lent out now.")
        let poolWaiting = metrics.gauge("remit_db_pool_waiting", "Callers waiting for a database connection now.")
        let poolMax = metrics.gauge("remit_db_pool_connections_max", "The most database connections the pool opens.")
        let poolWaits = MirroredCounter(metrics.counter("remit_db_pool_acquire_waits_total", "Callers that had to wait for a database connection."))
        let poolWaitSeconds = MirroredCounter(metrics.counter(
            "remit_db_pool_acquire_wait_seconds_total", "Time callers spent waiting for a database connection, in all."
        ))
        let poolTimeouts = MirroredCounter(metrics.counter(
            "remit_db_pool_acquire_timeouts_total", "Callers that gave up waiting for a database connection."
        ))
        let queryErrors = PostgresError.Code.all.map { code in
            (code.description, MirroredCounter(metrics.counter(
                "remit_db_errors_total", "Errors the database or its connection gave this node, by kind.", labels: [("kind", code.description)]
            )))
        }
        metrics.onScrape {
            queueDepth.set(to: Double(appender.statistics.queued))
            let statistics = node.pool.statistics
            poolOpen.set(to: Double(statistics.open))
            poolInUse.set(to: Double(statistics.lent))
            poolWaiting.set(to: Double(statistics.waiting))
            poolMax.set(to: Double(node.pool.connectionsMax))
            poolWaits.follow(Double(statistics.waitsTotal))
            poolWaitSeconds.follow(statistics.waitSecondsTotal)
            poolTimeouts.follow(Double(statistics.acquireTimeoutsTotal))
            for (kind, counter) in queryErrors { counter.follow(Double(statistics.errorsTotal[kind] ?? 0)) }
            let figures = replication.status.current
            lagEvents.set(to: Double(figures.lagEvents))
            lagSeconds.set(to: Double(figures.lagMilliseconds) / 1_000)
            applied.segments.follow(Double(figures.segmentsApplied))
            applied.events.follow(Double(figures.eventsApplied))
            applied.bytes.follow(Double(figures.bytesCompressed))
            served.segments.follow(Double(figures.segmentsServed))
            served.bytes.follow(Double(figures.bytesServed))
            for (kind, counter) in rejections { counter.follow(Double(figures.segmentsRejected[kind] ?? 0)) }
            guard let state = try? await RegionStore(pool: node.pool).current(),
                let projected = try? await LedgerReader(pool: node.pool).projectedPosition()
            else {
                up.set(to: 0)
                return
            }
            up.set(to: 1)
            head.set(to: Double(state.headPosition))
            epoch.set(to: Double(state.epoch))
            for (role, gauge) in roles { gauge.set(to: role == state.role ? 1 : 0) }
            lease.set(to: Double(max(0, state.leaseMillisecondsLeft ?? 0)) / 1_000)
            projectionLag.set(to: Double(max(0, state.headPosition - projected)))
        }
    }

    /// Runbook executions as this region's database records them (planned and forced failovers,
    /// whether run by this node, the CLI or the router): read when scraped. Labels are the
    /// runbooks' kinds, states and step names, a fixed set.
    static func registerRunbooks(in metrics: MetricsRegistry, pool: PostgresPool) {
        let store = RunbookStore(pool: pool)
        let mirrored = Mutex<[String: MirroredCounter]>([:])
        @Sendable func follow(_ name: String, _ help: String, _ labels: [(String, String)], _ total: Double) {
            let key = name + labels.map { "|\($0.1)" }.joined()
            mirrored.withLock { counters in
                let counter = counters[key] ?? MirroredCounter(metrics.counter(name, help, labels: labels))
                counters[key] = counter
                return counter
            }.follow(total)
        }
        metrics.onScrape {
            guard let figures = try? await store.figures() else { return }
            for row in figures.executions {
                metrics.gauge(
                    "remit_runbook_executions", "Runbook executions this region's database records, by kind and state.",
                    labels: [("kind", row.kind), ("state", row.state)]
                ).set(to: Double(row.count))
            }
            for row in figures.steps {
                let labels = [("kind", row.kind), ("step", row.step)]
                follow("remit_runbook_steps_total", "Runbook steps run, by kind and step.", labels, Double(row.count))
                follow("remit_runbook_step_seconds_total", "Time runbook steps took, in all, by kind and step.", labels, row.secondsTotal)
                metrics.gauge(
                    "remit_runbook_step_last_duration_seconds", "How long the step took the last time it ran, by kind and step.", labels: labels
                ).set(to: row.lastSeconds)
            }
        }
    }
}
