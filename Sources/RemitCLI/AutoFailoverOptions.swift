import ArgumentParser
import RemitCore
import RemitRouter

/// The router's automatic forced failover, as `remit router` and `remit up` take it. Off
/// unless `--auto-failover-after-seconds` is given.
struct AutoFailoverOptions: ParsableArguments {
    @Option(help: "Fail over by force, once per outage, when the active region has not answered for this many seconds. Off unless given.")
    var autoFailoverAfterSeconds: Double?

    @Option(help: "The most events the automatic failover's target may trail the old writer's last head by (what it may cut off).")
    var autoFailoverLagEventsMax: Int64 = Limits.autoFailoverLagEventsMaxDefault

    func validate() throws {
        if let seconds = autoFailoverAfterSeconds, !(1...3_600).contains(seconds) {
            throw ValidationError("--auto-failover-after-seconds must be 1 to 3600")
        }
        guard autoFailoverLagEventsMax >= 0 else { throw ValidationError("--auto-failover-lag-events-max must be 0 or more") }
    }

    var policy: AutoFailover.Policy? {
        autoFailoverAfterSeconds.map { AutoFailover.Policy(afterSeconds: $0, lagEventsMax: autoFailoverLagEventsMax) }
    }
}
