import Foundation
import RemitDomain
import RemitPostgres

/// The identity views (users, refresh-token families, other regions' public keys) as a fold of
/// the log's identity stream. Applied in the transaction that writes the events: by
/// `SystemAppend` at the writer, by the segment apply at a reader; rebuilt from the log when a
/// rejoin moved events to quarantine. The audit trail needs no view: it is read from the log.
public enum IdentityProjection {
    /// Applies the system-stream events among `events`, in order.
    public static func apply(_ events: [RecordedEvent], _ connection: PostgresConnection) throws {
        for recorded in events where recorded.streamID == IdentityEvent.identityStreamID || recorded.streamID == IdentityEvent.auditStreamID {
            guard case .identity(let event) = try recorded.event() else { continue }
            try apply(event, position: recorded.position, atMicroseconds: recorded.recordedAtMicroseconds, connection)
        }
    }

    /// Drops the views and folds the whole identity stream again (after a rejoin quarantined
    /// a tail). Rows not yet logged (`from_log` false) and public keys stay: a key that was
    /// published verifies only tokens its own region signed.
    public static func rebuild(_ connection: PostgresConnection) throws {
        try connection.query("DELETE FROM users WHERE from_log")
        try connection.query("DELETE FROM refresh_families")
        try connection.query("UPDATE signing_keys SET logged = 'none'")
        var after: Int64 = 0
        while true {
            let rows = try connection.query(
                "SELECT \(LedgerReader.eventColumns) FROM events WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version LIMIT 1000",
                [IdentityEvent.identityStreamID, after]
            )
            guard !rows.isEmpty else { return }
            let events = try rows.map(LedgerReader.recordedEvent)
            try apply(events, connection)
            after = Int64(events.last!.streamVersion)
        }
    }

    /// A user's credential revision is the position of the event that last changed their
    /// credentials: the same in every region's view, and only ever growing.
    static func apply(_ event: IdentityEvent, position: Int64, atMicroseconds at: Int64, _ connection: PostgresConnection) throws {
        switch event {
        case .userAdded(let user):
            try connection.query(
                """
                INSERT INTO users (name, password_hash, roles, disabled, from_log, created_at, updated_at, credential_revision)
                VALUES ($1, $2, $3, $4, true, to_timestamp($5::float8 / 1e6), to_timestamp($5::float8 / 1e6), $6)
                ON CONFLICT (name) DO UPDATE SET password_hash = EXCLUDED.password_hash, roles = EXCLUDED.roles,
                    disabled = EXCLUDED.disabled, from_log = true, created_at = EXCLUDED.created_at,
                    updated_at = EXCLUDED.updated_at, credential_revision = EXCLUDED.credential_revision
                """,
                [user.name, user.passwordSeal, PostgresArray(user.roles), user.disabled, at, position]
            )
        case .userDisabled(let user), .userEnabled(let user):
            let disabled: Bool
            if case .userDisabled = event { disabled = true } else { disabled = false }
            try connection.query(
                """
                UPDATE users SET disabled = $2, updated_at = to_timestamp($3::float8 / 1e6),
                    credential_revision = CASE WHEN $2 THEN $4 ELSE credential_revision END
                WHERE name = $1
                """,
                [user.name, disabled, at, position]
            )
        case .userPasswordChanged(let change):
            try connection.query(
                """
                UPDATE users SET password_hash = $2, updated_at = to_timestamp($3::float8 / 1e6), credential_revision = $4
                WHERE name = $1
                """,
                [change.name, change.passwordSeal, at, position]
            )
        case .usersImported:
            // The writer's users are the truth; a reader's rows of its own (from before
            // identity was in the log) give way.
            try connection.query("DELETE FROM users WHERE NOT from_log")
        case .refreshTokenRotated(let rotated):
            try connection.query(
                """
                INSERT INTO refresh_families (family, user_name, generation) VALUES ($1, $2, $3)
                ON CONFLICT (family) DO UPDATE SET generation = greatest(refresh_families.generation, EXCLUDED.generation)
                """,
                [rotated.family, rotated.user, rotated.generation + 1]
            )
        case .refreshFamilyRevoked(let revoked):
            try connection.query(
                """
                INSERT INTO refresh_families (family, user_name, generation, revoked) VALUES ($1, $2, 0, true)
                ON CONFLICT (family) DO UPDATE SET revoked = true
                """,
                [revoked.family, revoked.user]
            )
        case .signingKeyPublished(let key):
            // Another region's newer key replaces the one this database knew as its current:
            // keys with a private half here are this region's own and stay as they are.
            try connection.query(
                """
                UPDATE signing_keys SET retired_at = to_timestamp($3::float8 / 1e6)
                WHERE region = $1 AND kid <> $2 AND retired_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM signing_key_secrets s WHERE s.kid = signing_keys.kid)
                """,
                [key.region, key.kid, at]
            )
            try connection.query(
                """
                INSERT INTO signing_keys (kid, region, algorithm, public_jwk, created_at, logged)
                VALUES ($1, $2, 'ES256', $3::jsonb, to_timestamp($4::float8 / 1e6), 'published') ON CONFLICT DO NOTHING
                """,
                [key.kid, key.region, key.publicJWK, at]
            )
            try connection.query("UPDATE signing_keys SET logged = 'published' WHERE kid = $1 AND logged = 'none'", [key.kid])
        case .signingKeyRetired(let key):
            try connection.query(
                "UPDATE signing_keys SET retired_at = coalesce(retired_at, to_timestamp($2::float8 / 1e6)), logged = 'retired' WHERE kid = $1",
                [key.kid, at]
            )
        case .auditRecorded(let entry):
            // An entry carried here from an outbox is in the log now: it leaves the outbox.
            try connection.query("DELETE FROM audit_outbox WHERE entry_id = $1", [entry.entryID])
        case .checkpointSigned:
            // Read from the log itself (`Checkpoints.list`): no view.
            break
        }
    }
}
