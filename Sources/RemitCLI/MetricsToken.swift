import ArgumentParser
import Foundation
import RemitMetrics

/// The scrape token of `/metrics`, from `REMIT_METRICS_TOKEN` (the environment, not argv: argv
/// is visible to every user in ps); nil, and `/metrics` off, without one.
enum MetricsToken {
    static func fromEnvironment() throws -> String? {
        guard let token = ProcessInfo.processInfo.environment["REMIT_METRICS_TOKEN"], !token.isEmpty else { return nil }
        guard token.utf8.count >= MetricsEndpoint.tokenLengthMin else {
            throw ValidationError("REMIT_METRICS_TOKEN must be at least \(MetricsEndpoint.tokenLengthMin) characters")
        }
        return token
    }
}
