import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RemitWire
import Synchronization
import Testing

@Suite("log lines")
struct LogFormatTests {
    final class Lines: Sendable {
        let captured = Mutex<[String]>([])
        var all: [String] { captured.withLock { $0 } }

        func logger(_ label: String) -> Logger {
            Logger(label: label) { label in
                JSONLogHandler(label: label) { bytes in self.captured.withLock { $0.append(String(decoding: bytes, as: UTF8.self)) } }
            }
        }

        func objects() throws -> [[String: String]] {
            try all.map { line in
                #expect(line.hasSuffix("\n") && line.dropLast().firstIndex(of: "\n") == nil, "one line per entry")
                return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
            }
        }
    }

    @Test("--log-format json: one object per line, time, level, message, logger and metadata, escaped; metadata never replaces them")
    func jsonLines() throws {
        let lines = Lines()
        var logger = lines.logger("remit.node.east")
        logger[metadataKey: "region"] = "east"
        logger.info("a \"quoted\"\nmessage", metadata: ["message": "not this", "request_id": "r-1"])
        let object = try #require(try lines.objects().first)
        #expect(object["message"] == "a \"quoted\"\nmessage")
        #expect(object["level"] == "info" && object["logger"] == "remit.node.east")
        #expect(object["region"] == "east" && object["request_id"] == "r-1")
        let time = try #require(object["time"])
        #expect(time.count == 24 && time.hasSuffix("Z"), "\(time)")
        #expect(try Date(time, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)).timeIntervalSinceNow > -60)
    }

    @Test("each request gets one id: the client's when sane, else a new one, in the header handlers read and on every line it logs")
    func requestIDs() async throws {
        let lines = Lines()
        let router = Router()
        router.middlewares.add(RequestLogMiddleware())
        router.get("/x") { request, context -> String in
            context.logger.info("handled")
            return request.headers[RequestID.header] ?? "none"
        }
        try await Application(router: router, logger: lines.logger("test")).test(.router) { client in
            let given = try await client.execute(uri: "/x", method: .get, headers: [RequestID.header: "abc-123"])
            #expect(String(buffer: given.body) == "abc-123")
            let made = try await client.execute(uri: "/x", method: .get, headers: [RequestID.header: "has space"])
            let id = String(buffer: made.body)
            #expect(UUID(uuidString: id) != nil, "a new id for one that is not sane: \(id)")
            let handled = try lines.objects().filter { $0["message"] == "handled" }
            #expect(handled.map { $0["request_id"] } == ["abc-123", id])
        }
    }

    @Test("traceparent: version 00 read strictly, later versions by their first fields, anything else refused; a child keeps the trace")
    func traceParents() throws {
        let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let parent = try #require(TraceParent(valid))
        #expect(parent.traceID == "4bf92f3577b34da6a3ce929d0e0e4736" && parent.parentID == "00f067aa0ba902b7" && parent.text == valid)
        #expect(TraceParent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more") != nil, "a later version may add fields")
        for bad in [
            "", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
        ] {
            #expect(TraceParent(bad) == nil, "\(bad)")
        }
        let child = parent.child()
        #expect(child.traceID == parent.traceID && child.parentID != parent.parentID && TraceParent(child.text) == child)
        let started = TraceParent.start()
        #expect(TraceParent(started.text) == started && started.flags == "01")
    }

    @Test("a request's trace: a valid traceparent is continued (same trace, this process as parent), else one is started; trace_id on its lines")
    func traces() async throws {
        let lines = Lines()
        let router = Router()
        router.middlewares.add(RequestLogMiddleware(accessLog: true))
        router.get("/x") { request, _ -> String in request.headers[TraceParent.header] ?? "none" }
        let sent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        try await Application(router: router, logger: lines.logger("test")).test(.router) { client in
            let continued = try #require(TraceParent(String(buffer: try await client.execute(uri: "/x", method: .get, headers: [TraceParent.header: sent]).body)))
            #expect(continued.traceID == "4bf92f3577b34da6a3ce929d0e0e4736" && continued.parentID != "00f067aa0ba902b7")
            let started = try #require(TraceParent(String(buffer: try await client.execute(uri: "/x", method: .get, headers: [TraceParent.header: "junk"]).body)))
            #expect(started.traceID != continued.traceID)
            let answered = try lines.objects().filter { $0["message"] == "answered" }
            #expect(answered.map { $0["trace_id"] } == [continued.traceID, started.traceID])
            #expect(answered.allSatisfy { $0["route"] == "/x" && $0["status"] == "200" && $0["method"] == "GET" && Double($0["duration_ms"] ?? "") != nil })
        }
    }
}
