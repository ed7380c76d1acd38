import Foundation

/// Verified tokens by their exact text, so a signature is checked once per token rather than
/// once per request. Keyed by the whole token, not its `jti`: a token altered anywhere is a
/// different key and is verified afresh. An entry is never returned after its token's expiry.
struct TokenCache: Sendable {
    let entriesMax: Int
    private var entries: [String: Principal] = [:]

    init(entriesMax: Int) {
        precondition(entriesMax > 0)
        self.entriesMax = entriesMax
    }

    mutating func lookup(_ token: String, now: Date) -> Principal? {
        guard let principal = entries[token] else { return nil }
        guard principal.expiresAt > now else {
            entries[token] = nil
            return nil
        }
        return principal
    }

    mutating func insert(_ token: String, _ principal: Principal, now: Date) {
        if entries.count >= entriesMax {
            entries = entries.filter { $0.value.expiresAt > now }
            // Still full of live tokens: start over rather than grow; they verify again.
            if entries.count >= entriesMax { entries.removeAll(keepingCapacity: true) }
        }
        entries[token] = principal
    }
}
