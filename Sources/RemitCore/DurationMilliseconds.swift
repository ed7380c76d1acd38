extension Duration {
    /// The duration in milliseconds, with fractions: how runbooks, benchmarks and replication
    /// figures report times.
    public var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }
}
