import AsyncHTTPClient
import Foundation
import RemitCore

/// Asks a node (or the router) over HTTP what it says of itself: the one client of `/readyz`,
/// used by the router's health checks and by a node's view of the other regions.
public enum ReadinessProbe {
    /// The largest `/readyz` or `/router/regions` answer read.
    static let answerBytesMax = 1024 * 1024

    /// The node's readiness, or why it is not ready (its problem's detail, the status it
    /// answered, or the connection error).
    public static func check(
        _ baseURL: String, client: HTTPClient = .shared, timeoutMilliseconds: Int64 = Limits.healthCheckTimeoutMilliseconds
    ) async -> Result<Readiness, NotReady> {
        do {
            let response = try await client.execute(HTTPClientRequest(url: baseURL + "/readyz"), timeout: .milliseconds(timeoutMilliseconds))
            let body = Data(buffer: try await response.body.collect(upTo: answerBytesMax))
            guard response.status == .ok else {
                let problem = try? RemitJSON.decoder().decode(Problem.self, from: body)
                return .failure(NotReady(reason: problem.map { $0.detail ?? $0.title } ?? "answered \(response.status.code)"))
            }
            return .success(try RemitJSON.decoder().decode(Readiness.self, from: body))
        } catch {
            return .failure(NotReady(reason: "unreachable: \(error)"))
        }
    }

    /// The routing record a router follows, from its `/router/regions`.
    public static func routerRoutingRecord(
        _ routerURL: String, client: HTTPClient = .shared
    ) async throws -> (record: RoutingRecord?, leaseMilliseconds: Int64?) {
        struct RouterView: Decodable {
            var routing: RoutingRecord?
            var leaseMilliseconds: Int64?
        }
        let response = try await client.execute(
            HTTPClientRequest(url: routerURL + "/router/regions"), timeout: .milliseconds(Limits.healthCheckTimeoutMilliseconds)
        )
        let body = try await response.body.collect(upTo: answerBytesMax)
        guard response.status == .ok else { throw NotReady(reason: "the router answered \(response.status.code)") }
        let view = try RemitJSON.decoder().decode(RouterView.self, from: Data(buffer: body))
        return (view.routing, view.leaseMilliseconds)
    }

    /// Each router's routing record and the lease it grants, asked at once: nil for a router
    /// that did not answer.
    public static func routingRecords(
        _ routerURLs: [String], client: HTTPClient = .shared
    ) async -> [(record: RoutingRecord?, leaseMilliseconds: Int64?)?] {
        // Flat child results and a dictionary: an array of optional tuples modified inside the
        // group's loop crashed the release build (Swift 6.3.1, illegal instruction).
        struct Answer: Sendable {
            var index: Int
            var record: RoutingRecord?
            var leaseMilliseconds: Int64?
        }
        let answered = await withTaskGroup(of: Answer?.self) { group in
            for (index, url) in routerURLs.enumerated() {
                group.addTask {
                    guard let view = try? await routerRoutingRecord(url, client: client) else { return nil }
                    return Answer(index: index, record: view.record, leaseMilliseconds: view.leaseMilliseconds)
                }
            }
            var answered: [Int: Answer] = [:]
            for await case let answer? in group { answered[answer.index] = answer }
            return answered
        }
        return routerURLs.indices.map { index in answered[index].map { ($0.record, $0.leaseMilliseconds) } }
    }

    /// The router's alarms as its `/router/alarms` tells them: whether failover is advised,
    /// why, and each alarm's state.
    public struct RouterAlarms: Codable, Sendable, Equatable {
        public struct Alarm: Codable, Sendable, Equatable {
            public var name: String
            public var state: String
            public var detail: String?
        }

        /// The router's automatic forced failover; absent when it is off.
        public struct AutoFailover: Codable, Sendable, Equatable {
            public var state: String
            public var detail: String
        }

        /// An alarm that fired or stopped firing (`state` firing or ok), at `at`.
        public struct Change: Codable, Sendable, Equatable {
            public var name: String
            public var state: String
            public var at: Date
            public var detail: String?
        }

        public var failoverAdvised: Bool
        public var reasons: [String]
        public var alarms: [Alarm]
        public var autoFailover: AutoFailover?
        /// Newest first.
        public var changes: [Change]?
    }

    public static func routerAlarms(_ routerURL: String, client: HTTPClient = .shared) async throws -> RouterAlarms {
        let response = try await client.execute(
            HTTPClientRequest(url: routerURL + "/router/alarms"), timeout: .milliseconds(Limits.healthCheckTimeoutMilliseconds)
        )
        let body = try await response.body.collect(upTo: answerBytesMax)
        return try RemitJSON.decoder().decode(RouterAlarms.self, from: Data(buffer: body))
    }

    public struct NotReady: Error, Sendable, Equatable {
        public let reason: String
    }
}
