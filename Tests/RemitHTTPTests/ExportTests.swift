import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RemitAuth
import RemitDomain
import RemitPostgres
import RemitReplication
import RemitSegment
import RemitStorage
import Testing
@testable import RemitHTTP

@Suite("export and offline verification")
struct ExportTests {
    /// A writer's log of `creates` remittances, its key published and a checkpoint signed, then
    /// creates after it; `body` gets the pool and a new empty directory.
    private func withLog(_ body: @escaping @Sendable (PostgresPool, String) async throws -> Void) async throws {
        try await withAPI { client, pool in
            let identity = NodeIdentity(
                store: IdentityStore(pool: pool, region: "east"), keyStore: SigningKeyStore(pool: pool, region: "east"),
                configuration: AuthConfiguration(), logger: Logger(label: "test")
            )
            for round in 0..<2 {
                for index in 0..<4 {
                    let response = try await client.execute(
                        uri: "/api/v1/remittances", method: .post, headers: jsonHeaders(["Idempotency-Key": "export-\(round)-\(index)"]),
                        body: ByteBuffer(string: createBody)
                    )
                    #expect(response.status == .created)
                }
                if round == 0 {
                    try await identity.reloadSigningKeys()
                    await identity.keepLog()
                }
            }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("remit-export-\(UUID())").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try await body(pool, directory)
        }
    }

    private func audit(_ directory: String, keys: [SigningKey]? = nil, kept: [LedgerCheckpoint] = []) throws -> ExportAudit.Report {
        let manifest = try JSONDecoder().decode(ExportManifest.self, from: try Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json")))
        let given = try keys ?? JSONDecoder().decode(JWKSDocument.self, from: try Data(contentsOf: URL(fileURLWithPath: directory + "/jwks.json")))
            .keys.map(SigningKey.init(publicJWK:))
        var byKid: [String: P256.Signing.PublicKey] = [:]
        for key in given { byKid[key.kid] = key.publicKey }
        return ExportAudit.audit(manifest, keys: byKid, kept: kept) { name in Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))) }
    }

    private func rewriteManifest(_ directory: String, _ change: (inout ExportManifest) throws -> Void) throws {
        let url = URL(fileURLWithPath: directory + "/manifest.json")
        var manifest = try JSONDecoder().decode(ExportManifest.self, from: try Data(contentsOf: url))
        try change(&manifest)
        try JSONEncoder().encode(manifest).write(to: url)
    }

    @Test("an export verifies offline: every segment, the chain, the checkpoints, the signed manifest, kept checkpoints")
    func verifies() async throws {
        try await withLog { pool, directory in
            let head = try await RegionStore(pool: pool).current()!
            let manifest = try await LedgerExport.export(pool, to: directory, segmentEventsMax: 3)
            #expect(manifest.throughPosition == head.headPosition && manifest.headHash == head.headHash.hex && manifest.kid != nil)
            #expect(manifest.segments.count == Int((head.headPosition + 2) / 3))
            let kept = try await CheckpointLog.list(pool, after: 0, limit: 10).map(\.checkpoint)
            let report = try audit(directory, kept: kept)
            #expect(report.ok, "\(String(describing: report.finding))")
            #expect(report.events == head.headPosition && report.manifestSigned && report.checkpointsVerified == 1 && report.keptCheckpointsHeld == 1)
            let range = try await LedgerExport.export(pool, to: directory + "-range", from: 3, through: 7, segmentEventsMax: 2)
            defer { try? FileManager.default.removeItem(atPath: directory + "-range") }
            let ranged = try audit(directory + "-range", kept: kept)
            #expect(range.fromPosition == 3 && ranged.ok && ranged.events == 5 && ranged.segments == 3)
            #expect(ranged.keptCheckpointsOutside + ranged.keptCheckpointsHeld == 1)
            await #expect(throws: LedgerExport.ExportError.self) { try await LedgerExport.export(pool, to: directory) }
        }
    }

    @Test("a flipped byte, a segment swapped for a consistent forgery, or an altered manifest is caught, naming where")
    func tampering() async throws {
        try await withLog { pool, directory in
            let manifest = try await LedgerExport.export(pool, to: directory, segmentEventsMax: 3)
            let second = directory + "/" + manifest.segments[1].file
            let original = try Data(contentsOf: URL(fileURLWithPath: second))
            var flipped = original
            flipped[flipped.count - 5] ^= 0x01
            try flipped.write(to: URL(fileURLWithPath: second))
            let byte = try audit(directory)
            #expect(byte.finding?.position == manifest.segments[1].firstPosition && byte.finding?.reason.contains("SHA-256 differs") == true)

            // The forger fixes the manifest's digest too: the manifest's signature no longer holds.
            try rewriteManifest(directory) { $0.segments[1].sha256 = Array(SHA256.hash(data: flipped)).hex }
            #expect(try audit(directory).finding?.reason.contains("the manifest was altered") == true)

            // …and signs the manifest with a key of their own: not a key the auditor trusts.
            let forger = SigningKey.generate()
            try rewriteManifest(directory) { try $0.sign(kid: forger.kid, with: forger.privateKey!) }
            #expect(try audit(directory).finding?.reason.contains("not among the keys") == true)

            // With the forger's key trusted, the flipped segment itself fails to decode.
            let forged = try audit(directory, keys: [forger])
            #expect(forged.finding?.position == manifest.segments[1].firstPosition && forged.finding?.reason.contains(manifest.segments[1].file) == true)
            try original.write(to: URL(fileURLWithPath: second))

            // A whole tail rewritten with recomputed hashes, re-exported and re-signed: the checkpoint inside it does not hold.
            let kept = try await CheckpointLog.list(pool, after: 0, limit: 10).map(\.checkpoint)
            let checkpoint = try #require(kept.first)
            let events = try await LedgerReader(pool: pool).events(after: 0, limit: 1_000)
            var previous = LedgerFormat.genesisHash
            var rewritten: [RecordedEvent] = []
            for var event in events {
                if event.position == 2 { event.metadata = EventMetadata(actor: "someone-else").bytes() }
                event.hash = LedgerFormat.chainHash(of: event, after: previous)
                previous = event.hash
                rewritten.append(event)
            }
            let bytes = try Segment.encode(rewritten, previousHash: LedgerFormat.genesisHash)
            try FileManager.default.removeItem(atPath: directory)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: directory + "/all.rseg"))
            var fake = ExportManifest(
                region: "east", fromPosition: 1, throughPosition: rewritten.last!.position, previousHash: LedgerFormat.genesisHash.hex,
                headHash: previous.hex, exportedAtMicroseconds: 1,
                segments: [.init(file: "all.rseg", firstPosition: 1, lastPosition: rewritten.last!.position, bytes: Int64(bytes.count), sha256: Array(SHA256.hash(data: bytes)).hex)]
            )
            try fake.sign(kid: forger.kid, with: forger.privateKey!)
            try JSONEncoder().encode(fake).write(to: URL(fileURLWithPath: directory + "/manifest.json"))
            let key = try await SigningKeyStore(pool: pool, region: "east").currentKey()
            let caught = try audit(directory, keys: [forger, SigningKey(publicJWK: key.publicJWK)], kept: kept)
            #expect(caught.finding?.position == checkpoint.position + 1 && caught.finding?.reason.contains("but the event before it") == true)
        }
    }
}
