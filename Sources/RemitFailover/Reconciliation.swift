import Foundation
import RemitCore
import RemitPostgres
import RemitStorage

/// A quarantined item, and the region whose quarantine holds it.
public struct HeldItem: Sendable, Equatable {
    public var region: RegionName
    public var item: QuarantinedRemittance
}

/// No region that answers holds this id in its quarantine.
public struct NotQuarantined: Error, Sendable, CustomStringConvertible {
    public let id: UUID
    public var description: String { "\(id.uuidString.lowercased()) is in no region's quarantine" }
}

/// Reconciling what forced failovers cut off, over every region's database that answers: the
/// command line (`remit reconcile`) and the operator API both go through here. Each decision is
/// taken once, in the region that holds the item, and audited there (`QuarantineStore`).
public struct Reconciliation: Sendable {
    public let regions: [(name: RegionName, pool: PostgresPool)]

    public init(regions: [(name: RegionName, pool: PostgresPool)]) {
        self.regions = regions
    }

    /// Every region's quarantine, region by region, oldest first within each.
    public func list() async throws -> [HeldItem] {
        var held: [HeldItem] = []
        for (name, pool) in regions {
            held += try await QuarantineStore(pool: pool, region: name.rawValue).list().map { HeldItem(region: name, item: $0) }
        }
        return held
    }

    /// Appends the item again at the one region that is the writer now.
    public func resubmit(_ id: UUID, context: AuditContext) async throws -> Resubmission {
        var writer: PostgresPool?
        for (name, pool) in regions where try await RegionStore(pool: pool).current()?.role == .writer {
            guard writer == nil else { throw QuarantineError(description: "two regions say they are the writer (\(name) too): resolve that first") }
            writer = pool
        }
        guard let writer else { throw QuarantineError(description: "no region is the writer now") }
        return try await holder(of: id).resubmit(id, writer: writer, context: context)
    }

    /// Records that the item stays out of the log, and why.
    public func dismiss(_ id: UUID, reason: String, context: AuditContext) async throws {
        try await holder(of: id).decide(id, decision: "dismissed", reason: reason, context: context)
    }

    private func holder(of id: UUID) async throws -> QuarantineStore {
        for (name, pool) in regions {
            let store = QuarantineStore(pool: pool, region: name.rawValue)
            if try await store.list().contains(where: { $0.id == id }) { return store }
        }
        throw NotQuarantined(id: id)
    }
}
