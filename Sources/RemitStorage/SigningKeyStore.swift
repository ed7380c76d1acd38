import Foundation
import RemitAuth
import RemitPostgres

/// The token signing keys in a region's database: public halves of every region's keys, and
/// the private halves of this region's own.
public struct SigningKeyStore: Sendable {
    public let pool: PostgresPool
    public let region: String

    public init(pool: PostgresPool, region: String) {
        self.pool = pool
        self.region = region
    }

    /// Public keys that may still verify a token: current ones, and retired ones whose last
    /// tokens may not have expired yet (retired within `tokenLifetimeSeconds`).
    public func verificationKeys(tokenLifetimeSeconds: Int64) async throws -> [SigningKey] {
        try await pool.withConnection { connection in
            try connection.query(
                """
                SELECT public_jwk::text FROM signing_keys
                WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => $1::bigint)
                ORDER BY created_at, kid
                """,
                [tokenLifetimeSeconds]
            ).map { row in
                let text: String = try row.decode(0)
                return try SigningKey(publicJWK: JSONDecoder().decode(PublicJWK.self, from: Data(text.utf8)))
            }
        }
    }

    /// This region's current signing key, made and stored first if there is none.
    public func currentKey() async throws -> SigningKey {
        if let key = try await currentKeyIfAny() { return key }
        let fresh = SigningKey.generate()
        let region = self.region
        try await pool.withTransaction { connection in
            // Another node of this region may have made one meanwhile; the unique index on
            // (region) for current keys keeps one, and we read whichever it is.
            let inserted = try connection.query(
                "INSERT INTO signing_keys (kid, region, algorithm, public_jwk) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                [fresh.kid, region, SigningKey.algorithm, JSONB(try Self.json(fresh.publicJWK))]
            )
            if inserted.affectedRows == 1 {
                try connection.query("INSERT INTO signing_key_secrets (kid, private_pem) VALUES ($1, $2)", [fresh.kid, fresh.privateKeyPEM!])
            }
        }
        guard let key = try await currentKeyIfAny() else { throw SigningKeyError("no current signing key after making one") }
        return key
    }

    /// Retires this region's current key and makes a new one, in one transaction. The retired
    /// key keeps verifying the tokens it signed until they expire.
    public func rotate(by context: AuditContext) async throws -> (retired: String?, current: SigningKey) {
        let fresh = SigningKey.generate()
        let region = self.region
        let retired = try await pool.withTransaction { connection -> String? in
            let retired: String? = try connection.query(
                "UPDATE signing_keys SET retired_at = now() WHERE region = $1 AND retired_at IS NULL RETURNING kid", [region]
            ).first?.decode(0)
            try connection.query(
                "INSERT INTO signing_keys (kid, region, algorithm, public_jwk) VALUES ($1, $2, $3, $4)",
                [fresh.kid, region, SigningKey.algorithm, JSONB(try Self.json(fresh.publicJWK))]
            )
            try connection.query("INSERT INTO signing_key_secrets (kid, private_pem) VALUES ($1, $2)", [fresh.kid, fresh.privateKeyPEM!])
            try AuditLog.append(connection, region: region, context: context, action: "keys.rotate", target: fresh.kid, outcome: .succeeded,
                                detail: retired.map { "retired \($0)" } ?? "first key")
            return retired
        }
        return (retired, fresh)
    }

    /// This region's current signing key, if it has made one (reads only).
    public func currentKeyIfAny() async throws -> SigningKey? {
        let region = self.region
        return try await pool.withConnection { connection in
            let rows = try connection.query(
                """
                SELECT s.private_pem FROM signing_keys k JOIN signing_key_secrets s USING (kid)
                WHERE k.region = $1 AND k.retired_at IS NULL
                """,
                [region]
            )
            return try rows.first.map { try SigningKey(privateKeyPEM: $0.decode(0)) }
        }
    }

    static func json(_ jwk: PublicJWK) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(jwk), as: UTF8.self)
    }
}
