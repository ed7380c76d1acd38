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
            let held: [HeldItem]
            do {
                held = try await regions.reconciliation.list()
            } catch {
                await regions.close()
                throw error
            }
            await regions.close()
            printList(held)
        }

        private func printList(_ held: [HeldItem]) {
            for (region, item) in held.map({ ($0.region, $0.item) }) {
                let what = item.summary ?? item.created.map { "\($0.amount) \($0.currency) \($0.senderBank) → \($0.receiverBank)" } ?? "changes to an earlier remittance"
                let decided = item.decision.map { "\($0) by \(item.decidedBy ?? "?"): \(item.reason ?? "")" } ?? "undecided"
                print("\(item.id.uuidString.lowercased())  \(region)  epoch \(item.epoch) after \(item.forkPosition)  \(item.eventTypes.joined(separator: ","))  \(what)  key \(item.idempotencyKey ?? "-")  \(decided)")
            }
            print("\(held.count) quarantined item\(held.count == 1 ? "" : "s")")
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
            for id in ids {
                let outcome = try await regions.reconciliation.resubmit(id, context: IdentityTarget.auditContext)
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
                    try await regions.reconciliation.dismiss(id, reason: reason, context: IdentityTarget.auditContext)
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

/// Every region's database that answers; a region that does not is skipped, with a warning.
private struct AnsweringRegions {
    let pools: [(RegionName, PostgresPool)]

    var reconciliation: Reconciliation { Reconciliation(regions: pools.map { (name: $0.0, pool: $0.1) }) }

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

