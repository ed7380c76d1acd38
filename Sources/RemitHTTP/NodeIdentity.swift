import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import RemitWire
import RemitAuth
import RemitCore
import RemitDomain
import RemitReplication
import RemitStorage
import ServiceLifecycle
import Synchronization

/// A node's side of identity: the token verifier with every trusted issuer's keys, the token
/// issuer with this region's current key, and sign-in throttling. As a service it reloads the
/// signing keys (a rotation or another region's keys arrive within
/// `Limits.signingKeysReloadMilliseconds`) and external providers' JWKS.
public final class NodeIdentity: Service, Sendable {
    public let configuration: AuthConfiguration
    public let store: IdentityStore
    public let keyStore: SigningKeyStore
    public let verifier: TokenVerifier
    public let accessGuard: AccessGuard
    public let throttle: SignInThrottle
    public let hasher: PasswordHasher
    /// Seals password hashes for the log and opens them for a sign-in.
    public let seal: CredentialSeal
    /// Carries this region's outbox to the writer while it is a reader.
    private let forwarder: AuditForwarder?
    private let logger: Logger
    /// The peers' public keys as last fetched, by JWKS URL: a peer that is down keeps its keys.
    private let peerKeys = Mutex<[String: [SigningKey]]>([:])
    /// When a reload for an unknown kid last started, and the one running, if any.
    private let onDemandReload = Mutex<(last: ContinuousClock.Instant?, running: Task<Void, Never>?)>((nil, nil))
    private let signing = Mutex<(issuer: TokenIssuer?, current: SigningKey?, jwks: JWKSDocument, kids: [String])>((nil, nil, JWKSDocument(keys: []), []))

    public init(
        store: IdentityStore, keyStore: SigningKeyStore, configuration: AuthConfiguration, seal: CredentialSeal = CredentialSeal(key: nil),
        forwarder: AuditForwarder? = nil, logger: Logger
    ) {
        self.configuration = configuration
        self.seal = seal
        self.forwarder = forwarder
        self.store = store
        self.keyStore = keyStore
        self.logger = logger
        verifier = TokenVerifier()
        accessGuard = AccessGuard(
            verifier: verifier, requestsPerSecondPerPrincipal: configuration.requestsPerSecondPerPrincipal,
            burstPerPrincipal: configuration.burstPerPrincipal, enforced: configuration.accessChecks
        )
        throttle = SignInThrottle(
            failuresMax: configuration.signInFailuresMax, lockSeconds: configuration.signInLockSeconds,
            attemptsPerSecondPerAddress: configuration.signInAttemptsPerSecondPerAddress,
            burstPerAddress: configuration.signInBurstPerAddress
        )
        hasher = PasswordHasher()
        verifier.onUnknownLocalKey { [weak self] in await self?.reloadForUnknownKey() }
    }

    /// Reloads the keys for a token naming an unknown kid of ours, at most once a second:
    /// tokens with made-up kids can not turn into a flood of database and peer requests. Requests
    /// that arrive while a reload runs wait for it (the first requests after a failover carry
    /// the other region's tokens, several at once) rather than being refused meanwhile.
    func reloadForUnknownKey() async {
        let reload = onDemandReload.withLock { state -> Task<Void, Never>? in
            if let running = state.running { return running }
            let now = ContinuousClock.now
            guard state.last.map({ now - $0 >= .seconds(1) }) ?? true else { return nil }
            state.last = now
            let task = Task {
                do {
                    try await self.reloadSigningKeys()
                } catch {
                    self.logger.warning("signing keys could not be loaded", metadata: ["error": "\(error)"])
                }
                self.onDemandReload.withLock { $0.running = nil }
            }
            state.running = task
            return task
        }
        await reload?.value
    }

    public func run() async throws {
        try? await reloadSigningKeys()
        await keepLog()
        // Computes the decoy hash now, off the request path: the first unknown name must not
        // take longer than the others.
        _ = try? await hasher.verify("warm-up", hash: Passwords.decoyHash)
        await cancelWhenGracefulShutdown {
            var externalLoadedAt: ContinuousClock.Instant?
            var keysLoadedAt = ContinuousClock.now
            while !Task.isCancelled {
                if ContinuousClock.now - keysLoadedAt >= .milliseconds(Limits.signingKeysReloadMilliseconds) {
                    keysLoadedAt = .now
                    do {
                        try await self.reloadSigningKeys()
                    } catch {
                        self.logger.warning("signing keys could not be loaded", metadata: ["error": "\(error)"])
                    }
                }
                await self.keepLog()
                if externalLoadedAt.map({ ContinuousClock.now - $0 > .seconds(Limits.externalJWKSReloadSeconds) }) ?? true {
                    await self.reloadExternalProviders()
                    externalLoadedAt = .now
                }
                try? await Task.sleep(for: .milliseconds(Limits.identityUpkeepMilliseconds))
            }
        }
        await hasher.shutdown()
    }

    /// At the writer: puts in the log what this database holds outside it (users from before
    /// the upgrade or the first admin, outbox audit entries, this region's public keys). At a
    /// reader (refused with `NotWriterError`, nothing changed) the outbox goes to the writer.
    func keepLog() async {
        let seal = self.seal
        do {
            let pending = try await store.pending()
            guard pending.isWriter else {
                if pending.outbox { await forwardOutbox() }
                return
            }
            if pending.users || pending.outbox {
                let logged = try await store.logPending(seal: { seal.seal($0) })
                if logged > 0 { logger.info("logged identity changes recorded outside the log", metadata: ["count": "\(logged)"]) }
            }
            if pending.keys { try await store.publishKeys() }
            try await signCheckpoint()
        } catch is NotWriterError {
            // A writer whose lease ran out, or fenced since: the next round finds out.
        } catch {
            logger.warning("identity changes could not be logged yet", metadata: ["error": "\(error)"])
        }
    }

    /// Signs the log's head with this region's key when a checkpoint is due (the writer only).
    private func signCheckpoint() async throws {
        guard let key = signing.withLock({ $0.current }) else { return }
        let checkpoint = try await store.signCheckpointIfDue(
            key: key, everyEvents: configuration.checkpointEveryEvents, everyMicroseconds: configuration.checkpointEveryMilliseconds * 1_000
        )
        if let checkpoint {
            logger.debug("checkpoint signed", metadata: ["position": "\(checkpoint.position)", "epoch": "\(checkpoint.epoch)"])
        }
    }

    /// Sends the outbox to the writer; the entries leave it when they come back in the log.
    private func forwardOutbox() async {
        guard let forwarder else { return }
        do {
            let entries = try await store.outbox(limit: Limits.auditOutboxBatchMax)
            guard !entries.isEmpty else { return }
            let logged = try await forwarder.forward(entries)
            logger.info("audit entries carried to the writer", metadata: ["sent": "\(entries.count)", "logged": "\(logged)"])
        } catch {
            logger.debug("audit entries wait in the outbox", metadata: ["error": "\(error)"])
        }
    }

    /// Reads the keys and trusts them; makes this region's first key if it has none.
    public func reloadSigningKeys() async throws {
        let current = try await keyStore.currentKey()
        let own = try await keyStore.verificationKeys(tokenLifetimeSeconds: configuration.accessTokenLifetimeSeconds)
        let ownKids = Set(own.map(\.kid))
        let keys = own + (await fetchPeerKeys()).filter { !ownKids.contains($0.kid) }
        let kids = keys.map(\.kid)
        let (loadedKid, loadedKids) = signing.withLock { ($0.issuer?.kid, $0.kids) }
        if loadedKids != kids {
            verifier.trust(try await .local(issuer: configuration.issuer, audience: configuration.audience, keys: keys))
        }
        let issuer = loadedKid == current.kid ? nil : try await TokenIssuer(
            key: current, issuer: configuration.issuer, audience: configuration.audience,
            lifetimeSeconds: configuration.accessTokenLifetimeSeconds
        )
        signing.withLock { state in
            if let issuer { state.issuer = issuer }
            state.current = current
            state.jwks = JWKSDocument(keys: keys.map(\.publicJWK))
            state.kids = kids
        }
    }

    /// Every peer's published keys (the ones fetched before, for a peer that does not answer).
    func fetchPeerKeys() async -> [SigningKey] {
        for url in configuration.peerJWKS {
            do {
                let document = try JSONDecoder().decode(JWKSDocument.self, from: Data(try await Self.fetchJWKS(url)))
                let keys = try document.keys.map(SigningKey.init(publicJWK:))
                peerKeys.withLock { $0[url] = keys }
            } catch {
                logger.debug("a peer region's keys could not be fetched", metadata: ["url": "\(url)", "error": "\(error)"])
            }
        }
        var seen = Set<String>()
        return peerKeys.withLock { $0.values.flatMap { $0 } }.filter { seen.insert($0.kid).inserted }
    }

    func reloadExternalProviders() async {
        for provider in configuration.externalProviders {
            do {
                let jwks = try await Self.fetchJWKS(provider.jwks)
                verifier.trust(try await .external(issuer: provider.issuer, audience: provider.audience, rolesClaim: provider.rolesClaim, jwks: jwks))
            } catch {
                // The keys loaded before (if any) stay trusted; the provider's tokens fail until it answers.
                logger.warning("identity provider keys could not be loaded", metadata: ["issuer": "\(provider.issuer)", "error": "\(error)"])
            }
        }
    }

    /// A JWKS document from a file or an http(s) URL, at most `Limits.jwksBytesMax` bytes.
    public static func fetchJWKS(_ source: String) async throws -> [UInt8] {
        guard source.hasPrefix("http://") || source.hasPrefix("https://") else {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: source))
            defer { try? handle.close() }
            let data = try handle.read(upToCount: Limits.jwksBytesMax + 1) ?? Data()
            guard data.count <= Limits.jwksBytesMax else { throw SigningKeyError("the JWKS file is larger than \(Limits.jwksBytesMax) bytes") }
            return Array(data)
        }
        // Short: a request may be waiting on this (a token naming a key not loaded yet).
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: source), timeout: .milliseconds(Limits.healthCheckTimeoutMilliseconds))
        guard response.status == .ok else { throw SigningKeyError("the JWKS URL answered \(response.status.code)") }
        return Array(buffer: try await response.body.collect(upTo: Limits.jwksBytesMax))
    }

    /// The issuer of this region's tokens, loading the keys first if they are not yet (a
    /// sign-in right after start); 503 if they can not be loaded.
    func tokenIssuer() async throws -> TokenIssuer {
        if signing.withLock({ $0.issuer }) == nil { try? await reloadSigningKeys() }
        guard let issuer = signing.withLock({ $0.issuer }) else {
            throw Problem(slug: "not-ready", title: "Not ready", status: .serviceUnavailable, detail: "the signing keys are not loaded yet")
        }
        return issuer
    }

    var jwks: JWKSDocument { signing.withLock { $0.jwks } }
}
