import RemitCore

/// A bank's identity provider whose tokens a node accepts besides its own.
public struct ExternalProvider: Sendable, Equatable {
    public var issuer: String
    public var audience: String
    /// Where its tokens carry roles; a dotted path reaches into nested objects.
    public var rolesClaim: String
    /// Its JWKS: a file path, or an http(s) URL fetched at start and every `Limits.externalJWKSReloadSeconds`.
    public var jwks: String

    public init(issuer: String, audience: String, rolesClaim: String = "roles", jwks: String) {
        self.issuer = issuer
        self.audience = audience
        self.rolesClaim = rolesClaim
        self.jwks = jwks
    }
}

/// How a node signs people in and checks their tokens. Defaults come from `Limits`.
public struct AuthConfiguration: Sendable {
    /// `iss` of our tokens; the same in every region, so either region's tokens verify in both.
    public var issuer = "urn:remit"
    /// `aud` of our tokens.
    public var audience = "remit-api"
    public var accessTokenLifetimeSeconds = Limits.accessTokenLifetimeSeconds
    public var refreshTokenLifetimeSeconds = Limits.refreshTokenLifetimeSeconds
    public var externalProviders: [ExternalProvider] = []
    /// The other regions' `/.well-known/jwks.json`: their tokens verify here too, before
    /// replication brings their keys into this region's database.
    public var peerJWKS: [String] = []
    public var requestsPerSecondPerPrincipal = Limits.nodeRequestsPerSecondPerPrincipal
    public var burstPerPrincipal = Limits.nodeBurstPerPrincipal
    public var signInFailuresMax = Limits.signInFailuresMax
    public var signInLockSeconds = Limits.signInLockSeconds
    public var signInAttemptsPerSecondPerAddress = Limits.signInAttemptsPerSecondPerAddress
    public var signInBurstPerAddress = Limits.signInBurstPerAddress
    /// Peers whose `X-Forwarded-For` names the client: the router, which runs on loopback.
    public var trustedProxies: Set<String> = ["127.0.0.1", "::1"]
    /// Origins whose browser scripts may call the API. Empty: CORS is off.
    public var corsAllowedOrigins: [String] = []
    /// When the writer signs a checkpoint of its log (`LedgerCheckpoint`).
    public var checkpointEveryEvents = Limits.checkpointEventsMax
    public var checkpointEveryMilliseconds = Limits.checkpointIntervalMilliseconds

    /// False only for the append benchmark's baseline, which measures what checking tokens
    /// costs; no command-line option turns checks off.
    public var accessChecks = true

    public init() {}
}
