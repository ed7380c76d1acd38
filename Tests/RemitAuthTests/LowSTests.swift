import Crypto
import Foundation
@testable import RemitAuth
import Testing

/// ECDSA malleability: (r, s) and (r, n − s) both verify, so a holder of one of our tokens could
/// make a second text with the same claims. Ours are issued low-S, and only low-S is accepted.
@Suite struct LowSTests {
    @Test("every token we issue is low-S; its twin is a valid ECDSA signature, and refused")
    func twinsAreRefused() async throws {
        let setup = try await TokenTests.setup()
        for _ in 0..<24 {  // about half of raw ECDSA signatures are high-S: 24 leave none untried
            let token = try await setup.issuer.issue(subject: "alice", roles: [.clerk]).token
            #expect(LowS.isLowS(token))
            #expect(try await setup.verifier.verify(token).get().subject == "alice")
            let twin = LowS.twin(token)
            #expect(twin != token && !LowS.isLowS(twin))
            #expect(try Self.verifiesAsECDSA(twin, key: setup.key), "the twin is the attack: a second valid signature")
            #expect(await setup.verifier.verify(twin) == .failure(.badSignature))
            #expect(LowS.canonical(twin) == token)
        }
    }

    @Test("refresh tokens are low-S too, and a twin does not refresh")
    func refreshTwins() async throws {
        let setup = try await TokenTests.setup()
        let claims = RefreshClaims(subject: "alice", family: UUID(), generation: 0, credentialRevision: 1, expiresAt: Date().addingTimeInterval(600))
        for _ in 0..<8 {
            let token = try await setup.issuer.issueRefresh(claims)
            #expect(LowS.isLowS(token))
            #expect(await setup.verifier.verifyRefresh(token) != nil)
            #expect(await setup.verifier.verifyRefresh(LowS.twin(token)) == nil)
        }
    }

    @Test("an identity provider's ES256 tokens are taken in either form, as its library made them")
    func providerTokensInEitherForm() async throws {
        let (key, verifier) = try await ExternalIssuerTests.provider()
        let token = try ExternalIssuerTests.token(key)
        #expect(try await verifier.verify(token).get().subject == "employee-42")
        #expect(try await verifier.verify(LowS.twin(token)).get().subject == "employee-42")
    }

    static func verifiesAsECDSA(_ token: String, key: SigningKey) throws -> Bool {
        let parts = token.split(separator: ".")
        let signature = try P256.Signing.ECDSASignature(rawRepresentation: Base64URL.decode(String(parts[2]))!)
        return key.publicKey.isValidSignature(signature, for: Array((parts[0] + "." + parts[1]).utf8))
    }
}
