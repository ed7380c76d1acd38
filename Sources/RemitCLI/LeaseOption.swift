import ArgumentParser
import RemitCore

/// The write lease routers grant and forced failovers wait out. Every router and every node
/// (and `remit failover`) of a deployment must be given the same: `remit up` passes its own on.
struct LeaseOption: ParsableArguments {
    @Option(help: "The writer's lease in milliseconds (2000 to 60000): a forced failover waits it out; routers renew it.")
    var leaseMilliseconds: Int64 = Limits.writeLeaseMilliseconds

    func validate() throws {
        guard (Limits.writeLeaseMillisecondsMin...Limits.writeLeaseMillisecondsMax).contains(leaseMilliseconds) else {
            throw ValidationError("--lease-milliseconds must be \(Limits.writeLeaseMillisecondsMin) to \(Limits.writeLeaseMillisecondsMax)")
        }
    }
}
