import AsyncHTTPClient
import Foundation
import RemitMetrics
import Synchronization

/// The highest resident memory seen while a phase runs, of each source: a node's, from the
/// `process_resident_memory_bytes` its `/metrics` reports (what an operator's Prometheus sees),
/// or this process's own, from `/proc/self/statm`. Sampled every 100 ms, so a spike shorter
/// than that can be missed.
final class ResidentMemory: Sendable {
    enum Source: Sendable {
        case node(url: String, metricsToken: String)
        case thisProcess
    }

    static let sampleMilliseconds: Int64 = 100

    let sources: [(name: String, source: Source)]
    private let peaks: Mutex<[Double]>

    init(_ sources: [(name: String, source: Source)]) {
        self.sources = sources
        peaks = Mutex(Array(repeating: 0, count: sources.count))
    }

    /// "writer node 81 MB, reader node 77 MB" (10⁶ bytes); a source never read is "not read".
    var summary: String {
        let peaks = peaks.withLock { $0 }
        return zip(sources, peaks).map { source, peak in
            peak > 0 ? String(format: "%@ %.0f MB", source.name, peak / 1_000_000) : "\(source.name) not read"
        }.joined(separator: ", ")
    }

    /// Peaks in megabytes, by source name.
    var megabytes: [String: Double] {
        let peaks = peaks.withLock { $0 }
        return Dictionary(uniqueKeysWithValues: zip(sources, peaks).map { ($0.name, ($1 / 1_000_000).rounded()) })
    }

    /// Samples every source while `body` runs.
    func during<T>(_ body: () async throws -> T) async throws -> T {
        let sampling = Task {
            while !Task.isCancelled {
                for (index, source) in sources.enumerated() {
                    if let bytes = await Self.sample(source.source) { peaks.withLock { $0[index] = max($0[index], bytes) } }
                }
                try? await Task.sleep(for: .milliseconds(Self.sampleMilliseconds))
            }
        }
        defer { sampling.cancel() }
        return try await body()
    }

    private static func sample(_ source: Source) async -> Double? {
        switch source {
        case .thisProcess:
            return ProcessMetrics.residentBytes()
        case .node(let url, let token):
            var request = HTTPClientRequest(url: url + "/metrics")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(5)), response.status == .ok,
                let body = try? await response.body.collect(upTo: 1 << 22)
            else { return nil }
            let prefix = "process_resident_memory_bytes "
            return String(buffer: body).split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
        }
    }
}
