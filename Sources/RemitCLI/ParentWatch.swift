import Foundation
import Logging
import ServiceLifecycle

/// Ends its service group when the process that started us is gone, so that a `remit up`
/// killed with SIGKILL does not leave its nodes and router running without it.
struct ParentWatch: Service {
    let parentProcessID: Int32

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled && getppid() == parentProcessID {
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }
}

extension ServiceGroup {
    /// A group that shuts down gracefully on SIGTERM or SIGINT, and also when the parent, if
    /// named, goes away.
    static func remit(
        services: [any Service],
        parentProcessID: Int32?,
        logger: Logger
    ) -> ServiceGroup {
        var configurations = services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
        if let parentProcessID {
            configurations.append(.init(service: ParentWatch(parentProcessID: parentProcessID), successTerminationBehavior: .gracefullyShutdownGroup))
        }
        return ServiceGroup(configuration: .init(services: configurations, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    }
}
