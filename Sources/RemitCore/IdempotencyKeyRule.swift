/// What a client's idempotency key may be, wherever it is given (the `Idempotency-Key` header,
/// a batch item, a payout file's column): printable ASCII, no space, at most
/// `Limits.idempotencyKeyLengthMax` bytes.
public enum IdempotencyKeyRule {
    public static func holds(for key: String) -> Bool {
        !key.isEmpty && key.utf8.count <= Limits.idempotencyKeyLengthMax && key.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// The rule in words, for refusals: "… must be " + this.
    public static let description = "1 to \(Limits.idempotencyKeyLengthMax) printable ASCII characters"
}
