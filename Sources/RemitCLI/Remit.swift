import ArgumentParser

@main
struct Remit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remit",
        abstract: "A two-region, event-sourced remittance ledger.",
        subcommands: [Up.self, Serve.self, RouterCommand.self, Migrate.self, Projections.self, Users.self, Keys.self, Failover.self, Runbooks.self, Reconcile.self, Verify.self, Replay.self, Export.self, Import.self, Status.self, Bench.self, Clusters.self]
    )
}
