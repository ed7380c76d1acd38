import ArgumentParser
import Foundation
import RemitFailover
import RemitCore
import RemitPostgres
import RemitStorage

/// What a forced failover cut off, reconciled by an operator: list it, re-create chosen
/// remittances in the current writer, or dismiss them with a reason. Every decision is audited.
struct Reconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reconcile what a forced failover cut off: list quarantined remittances, resubmit or dismiss them.",
        subcommands: [List.self, Resubmit.self, Dismiss.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Quarantined remittances, identity changes and audit entries in every region, oldest first.")
        @OptionGroup var stack: StackOptions

        func run() async throws {
            let regions = await AnsweringRegions.open(try stack.regionURLs())
            var items: [(RegionName, QuarantinedRemittance)] = []
            do {
                for (region, store) in regions.quarantines { items += try await store.list().map { (region, $0) } }
            } catch {
                await regions.close()
                throw error
            }
            await regions.close()
            printList(items)
        }

        private func printList(_ items: [(RegionName, QuarantinedRemittance)]) {
            for (region, item) in items {
                let what = item.summary ?? item.created.map { "\($0.amount) \($0.currency) \($0.senderBank) → \($0.receiverBank)" } ?? "changes to an earlier remittance"
                let decided = item.decision.map { "\($0) by \(item.decidedBy ?? "?"): \(item.reason ?? "")" } ?? "undecided"
                print("\(item.id.uuidString.lowercased())  \(region)  epoch \(item.epoch) after \(item.forkPosition)  \(item.eventTypes.joined(separator: ","))  \(what)  key \(item.idempotencyKey ?? "-")  \(decided)")
            }
            print("\(items.count) quarantined item\(items.count == 1 ? "" : "s")")
        }
    }

    struct Resubmit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-create quarantined remittances in the current writer (their idempotency keys make a repeat harmless)."
        )
        @Argument(help: "Remittance ids, as `remit reconcile list` shows them.")
        var ids: [String]
        @OptionGroup var stack: StackOptions

        func validate() throws { _ = try parsedIDs(ids) }

        func run() async throws {
            let ids = try parsedIDs(ids)
            let regions = await AnsweringRegions.open(try stack.regionURLs())
            do {
                try await resubmit(ids, regions)
            } catch {
                await regions.close()
                throw error
            }
            await regions.close()
        }

        private func resubmit(_ ids: [UUID], _ regions: AnsweringRegions) async throws {
            var writer: PostgresPool?
            for (region, pool) in regions.pools where try await RegionStore(pool: pool).current()?.role == .writer {
                guard writer == nil else { throw ValidationError("two regions say they are the writer (\(region) too): resolve that first") }
                writer = pool
            }
            guard let writer else { throw ValidationError("no region is the writer now") }
            for id in ids {
                let store = try await holder(of: id, regions.quarantines)
                let outcome = try await store.resubmit(id, writer: writer, context: IdentityTarget.auditContext)
                print("\(id.uuidString.lowercased())  " + (outcome.isRepeat ? "already in the writer (a client retried it)" : "re-created at position \(outcome.position ?? 0)"))
            }
        }
    }

    struct Dismiss: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record that quarantined remittances are not to be re-created, and why.")
        @Argument(help: "Remittance ids, as `remit reconcile list` shows them.")
        var ids: [String]
        @Option(help: "Why (kept in the record and the audit log).")
        var reason: String
        @OptionGroup var stack: StackOptions

        func validate() throws {
            _ = try parsedIDs(ids)
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty, reason.utf8.count <= 1_000 else {
                throw ValidationError("--reason must say why, in at most 1000 bytes")
            }
        }

        func run() async throws {
            let ids = try parsedIDs(ids)
            let regions = await AnsweringRegions.open(try stack.regionURLs())
            do {
                for id in ids {
                    try await holder(of: id, regions.quarantines).decide(id, decision: "dismissed", reason: reason, context: IdentityTarget.auditContext)
                    print("\(id.uuidString.lowercased())  dismissed")
                }
            } catch {
                await regions.close()
                throw error
            }
            await regions.close()
        }
    }
}

private func parsedIDs(_ texts: [String]) throws -> [UUID] {
    guard !texts.isEmpty else { throw ValidationError("name at least one remittance id") }
    return try texts.map { text in
        guard let id = UUID(uuidString: text) else { throw ValidationError("\(text) is not a remittance id") }
        return id
    }
}

/// The region whose quarantine holds `id`.
private func holder(of id: UUID, _ quarantines: [(RegionName, QuarantineStore)]) async throws -> QuarantineStore {
    for (_, store) in quarantines where try await store.list().contains(where: { $0.id == id }) { return store }
    throw ValidationError("\(id.uuidString.lowercased()) is in no region's quarantine")
}

/// Every region's database that answers; a region that does not is skipped, with a warning.
private struct AnsweringRegions {
    let pools: [(RegionName, PostgresPool)]

    var quarantines: [(RegionName, QuarantineStore)] {
        pools.map { ($0.0, QuarantineStore(pool: $0.1, region: $0.0.rawValue)) }
    }

    /// Takes the URLs, not the options: with the (throwing) URL lookup inside this loop of
    /// awaits, Swift 6.3.1's optimizer crashed (signal 11 splitting the coroutine) in release builds.
    static func open(_ urls: [(RegionName, String)]) async -> AnsweringRegions {
        var pools: [(RegionName, PostgresPool)] = []
        for (name, url) in urls {
            let pool = PostgresPool(url: url, connectionsMax: 1, applicationName: "remit reconcile")
            if (try? await RegionStore(pool: pool).current()) != nil {
                pools.append((name, pool))
            } else {
                FileHandle.standardError.write(Data("warning: region \(name)'s database does not answer; its quarantine is not shown\n".utf8))
                await pool.close()
            }
        }
        return AnsweringRegions(pools: pools)
    }

    func close() async {
        for (_, pool) in pools { await pool.close() }
    }
}

