import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import RemitDomain

/// Sends a checked payout file through `POST /api/v1/remittance-batches`, `batchSize` lines
/// per request, in file order. A request that fails as a whole (the region overloaded or
/// between writers, the connection lost) is sent again as it was — every line keeps its key,
/// so none is created twice — until `attemptsMax`; then the import stops, naming the first
/// line not known to be in, and running it again finishes it.
public struct PayoutImport: Sendable {
    /// One line's result.
    public enum Outcome: Sendable, Equatable {
        case created(id: String)
        /// Its key had made this remittance before (an earlier run, or the same key twice).
        case repeated(id: String)
        case refused(String)
    }

    public struct Summary: Sendable, Equatable {
        public var created = 0
        public var repeated = 0
        public var refused = 0
    }

    public struct Stopped: Error, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String {
            "stopped before line \(line): \(reason); lines before it are in the ledger, run the same import again to send the rest (nothing is created twice)"
        }
    }

    public var url: String
    public var token: String
    public var batchSize: Int
    public var attemptsMax = 5

    public init(url: String, token: String, batchSize: Int) {
        (self.url, self.token, self.batchSize) = (url, token, batchSize)
    }

    /// - Parameter report: called after each batch with its lines and their outcomes, in order.
    public func run(
        _ file: PayoutFile, client: HTTPClient, report: (_ lines: ArraySlice<PayoutFile.Line>, _ outcomes: [Outcome]) -> Void
    ) async throws -> Summary {
        var summary = Summary()
        for start in stride(from: 0, to: file.lines.count, by: batchSize) {
            let lines = file.lines[start..<min(start + batchSize, file.lines.count)]
            let outcomes = try await send(lines, client: client)
            for outcome in outcomes {
                switch outcome {
                case .created: summary.created += 1
                case .repeated: summary.repeated += 1
                case .refused: summary.refused += 1
                }
            }
            report(lines, outcomes)
        }
        return summary
    }

    private func send(_ lines: ArraySlice<PayoutFile.Line>, client: HTTPClient) async throws -> [Outcome] {
        struct Item: Encodable {
            let idempotencyKey: String
            let remittance: RemittanceDetails
        }
        let body = try JSONEncoder().encode(["items": lines.map { Item(idempotencyKey: $0.idempotencyKey, remittance: $0.details) }])
        var reason = ""
        for attempt in 1...attemptsMax {
            if attempt > 1 { try await Task.sleep(for: .milliseconds(250 << min(attempt - 2, 4))) }
            var request = HTTPClientRequest(url: url + "/api/v1/remittance-batches")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.body = .bytes(ByteBuffer(bytes: body))
            let response: HTTPClientResponse, answer: ByteBuffer
            do {
                response = try await client.execute(request, timeout: .seconds(60))
                answer = try await response.body.collect(upTo: 32 << 20)
            } catch {
                reason = "\(error)"
                continue
            }
            if response.status == .ok {
                return try Self.outcomes(answer, count: lines.count)
            }
            reason = "\(response.status.code) " + ((try? JSONDecoder().decode(ProblemText.self, from: Data(buffer: answer)))?.text ?? String(buffer: answer))
            // Only a failure of the moment is worth sending again; anything else would fail the same way.
            guard [409, 429, 502, 503, 504].contains(Int(response.status.code)) else { break }
        }
        throw Stopped(line: lines.first!.number, reason: reason)
    }

    private struct ProblemText: Decodable {
        let title: String
        let detail: String?
        let errors: [FieldError]?
        var text: String {
            let fields = (errors ?? []).map { "\($0.field): \($0.message)" }
            return ([detail ?? title] + fields).joined(separator: "; ")
        }
    }

    static func outcomes(_ body: ByteBuffer, count: Int) throws -> [Outcome] {
        struct Result: Decodable {
            struct Item: Decodable {
                let outcome: String
                let remittance: Remittance?
                let problem: ProblemText?
            }
            struct Remittance: Decodable { let id: String }
            let items: [Item]
        }
        let result = try JSONDecoder().decode(Result.self, from: Data(buffer: body))
        guard result.items.count == count else { throw Stopped(line: 0, reason: "the answer holds \(result.items.count) results for \(count) lines") }
        return result.items.map { item in
            switch (item.outcome, item.remittance) {
            case ("created", let remittance?): .created(id: remittance.id)
            case ("repeated", let remittance?): .repeated(id: remittance.id)
            default: .refused(item.problem?.text ?? "refused")
            }
        }
    }
}
