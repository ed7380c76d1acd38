import AsyncHTTPClient
import Foundation
import NIOCore

/// N clients creating remittances (each with its own idempotency key) as fast as they can.
struct AppendLoad {
    struct Result {
        var perSecond: Double
        let p50Milliseconds: Double
        let p99Milliseconds: Double
        let maxMilliseconds: Double
        let errors: Int
        var generator = "swift"
    }

    let client: HTTPClient
    let url: String
    let token: String?
    let clients: Int
    let seconds: Int

    func run() async throws -> Result {
        let deadline = ContinuousClock.now + .seconds(seconds)
        let started = ContinuousClock.now
        let perClient = try await withThrowingTaskGroup(of: ([Double], Int).self) { group in
            for clientIndex in 0..<clients {
                group.addTask {
                    var latencies: [Double] = []
                    var errors = 0
                    var sequence = 0
                    while ContinuousClock.now < deadline {
                        sequence += 1
                        var request = HTTPClientRequest(url: url + "/api/v1/remittances")
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.headers.add(name: "Idempotency-Key", value: "bench-\(UUID().uuidString)")
                        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
                        request.body = .bytes(ByteBuffer(string: Self.body(clientIndex, sequence)))
                        let sent = ContinuousClock.now
                        do {
                            let response = try await client.execute(request, timeout: .seconds(30))
                            _ = try await response.body.collect(upTo: 1 << 20)
                            if response.status == .created {
                                latencies.append((ContinuousClock.now - sent).milliseconds)
                            } else {
                                errors += 1
                            }
                        } catch {
                            errors += 1
                        }
                    }
                    return (latencies, errors)
                }
            }
            return try await group.reduce(into: [([Double], Int)]()) { $0.append($1) }
        }
        let elapsed = (ContinuousClock.now - started).milliseconds / 1_000
        let latencies = Percentiles(perClient.flatMap(\.0))
        return Result(
            perSecond: Double(latencies.count) / elapsed, p50Milliseconds: latencies.at(0.50), p99Milliseconds: latencies.at(0.99),
            maxMilliseconds: latencies.max, errors: perClient.map(\.1).reduce(0, +)
        )
    }

    static func body(_ client: Int, _ sequence: Int) -> String {
        #"{"senderName":"Bench Sender \#(client)","senderBank":"Bank \#(client % 7)","senderAccount":"ACC\#(client)","receiverName":"Receiver \#(sequence)","receiverBank":"Bank \#(sequence % 5)","receiverAccount":"RCV\#(sequence)","amount":\#(1_000 + sequence),"currency":"USD","reference":"bench"}"#
    }
}
