import RemitWire
import RemitCore
import RemitPostgres
import RemitStorage
import Synchronization

/// What one `remit serve` process knows: its region, its database, and the migrations it expects.
public final class RegionNode: Sendable {
    public let region: RegionName
    public let initialRole: RegionRole
    public let pool: PostgresPool
    public let migrations: [Migration]
    private let claimed = Mutex(false)

    public init(region: RegionName, initialRole: RegionRole, pool: PostgresPool, migrations: [Migration]) {
        self.region = region
        self.initialRole = initialRole
        self.pool = pool
        self.migrations = migrations
    }

    /// Ready means: the database answers, every migration this node knows is applied (and no
    /// applied one changed), and the database is this region's. Not ready says why.
    public func readiness() async -> Result<RegionState, Problem> {
        let status: Migrator.Status
        do {
            status = try await Migrator(pool: pool).status(migrations)
        } catch {
            return .failure(Self.notReady("the region's database is unreachable"))
        }
        guard status.isCurrent else {
            let reason = status.problems.first ?? "migrations pending: \(status.pending.map(String.init).joined(separator: ", "))"
            return .failure(Self.notReady(reason))
        }
        do {
            let store = RegionStore(pool: pool)
            if claimed.withLock({ $0 }), let state = try await store.current() {
                return .success(state)
            }
            let state = try await store.claim(region, initialRole: initialRole)
            claimed.withLock { $0 = true }
            return .success(state)
        } catch let error as RegionStoreError {
            return .failure(Self.notReady(error.message))
        } catch {
            return .failure(Self.notReady("the region's database is unreachable"))
        }
    }

    private static func notReady(_ detail: String) -> Problem {
        Problem(slug: "not-ready", title: "Not ready", status: .serviceUnavailable, detail: detail)
    }
}
