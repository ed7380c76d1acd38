import HTTPTypes

/// W3C Trace Context's `traceparent` header (version 00): a 16-byte trace id, the 8-byte id of
/// the span that sent the request, and flags, as lowercase hex. The router continues a valid
/// one a client sent (or starts a trace) and sends it on; the node keeps the trace id on the
/// request's log lines and in the metadata of the events it writes, so one transfer can be
/// followed from the router's log to the node's log to the ledger.
public struct TraceParent: Sendable, Equatable {
    public static let header = HTTPField.Name("traceparent")!

    public let traceID: String
    public let parentID: String
    public let flags: String

    /// A header as the specification allows it: `00-<32 hex>-<16 hex>-<2 hex>`, lowercase,
    /// neither id all zeros; a later version is read by its first four fields. Nil otherwise.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 4, Self.isHex(parts[0], count: 2), parts[0] != "ff", parts[0] == "00" ? parts.count == 4 : true,
            Self.isHex(parts[1], count: 32), Self.isHex(parts[2], count: 16), Self.isHex(parts[3], count: 2),
            parts[1] != String(repeating: "0", count: 32), parts[2] != String(repeating: "0", count: 16)
        else { return nil }
        traceID = parts[1]
        parentID = parts[2]
        flags = parts[3]
    }

    private init(traceID: String, parentID: String, flags: String) {
        self.traceID = traceID
        self.parentID = parentID
        self.flags = flags
    }

    /// A new trace, sampled.
    public static func start() -> TraceParent {
        TraceParent(traceID: RandomID.hex(bytes: 16), parentID: RandomID.hex(bytes: 8), flags: "01")
    }

    /// The same trace, with this process as the span that sends it on.
    public func child() -> TraceParent {
        TraceParent(traceID: traceID, parentID: RandomID.hex(bytes: 8), flags: flags)
    }

    public var text: String { "00-\(traceID)-\(parentID)-\(flags)" }

    private static func isHex(_ text: String, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }
}
