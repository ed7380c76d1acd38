/// Order statistics of a benchmark's samples (milliseconds, or any unit), nearest-rank.
struct Percentiles: Sendable {
    let sorted: [Double]

    init(_ samples: [Double]) {
        sorted = samples.sorted()
    }

    /// The sample below which a fraction `p` of the samples lie; 0 when there are none.
    func at(_ p: Double) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }

    var max: Double { sorted.last ?? 0 }
    var count: Int { sorted.count }
}
