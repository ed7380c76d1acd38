import Foundation

/// An IPv4 or IPv6 address literal a cluster listens on besides loopback. Only a literal: the
/// text reaches PostgreSQL's command line through `pg_ctl`, which hands it to a shell.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public init?(_ text: String) {
        var ipv4 = in_addr()
        var ipv6 = in6_addr()
        guard inet_pton(AF_INET, text, &ipv4) == 1 || inet_pton(AF_INET6, text, &ipv6) == 1 else { return nil }
        rawValue = text
    }

    public var description: String { rawValue }
}
