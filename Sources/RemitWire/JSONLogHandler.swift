#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import RemitDomain

/// Log lines as JSON, one object per line, members in key order: `time` (RFC 3339, UTC,
/// milliseconds), `level`, `message`, `logger`, `error` when there is one, and every metadata
/// item as a string (`region`, `node`, `request_id`, …). What `--log-format json` selects.
/// Metadata never replaces those reserved members.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    private let label: String
    private let output: @Sendable ([UInt8]) -> Void

    public init(label: String, output: @escaping @Sendable ([UInt8]) -> Void = JSONLogHandler.standardOutput) {
        self.label = label
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for source in [metadataProvider?.get() ?? [:], metadata, event.metadata ?? [:]] {
            for (key, value) in source { fields[key] = "\(value)" }
        }
        fields["time"] = Self.timestamp(Date())
        fields["level"] = event.level.rawValue
        fields["message"] = event.message.description
        fields["logger"] = label
        if let error = event.error { fields["error"] = "\(error)" }
        var writer = JSONObjectWriter()
        for key in fields.keys.sorted() { writer.field(key, fields[key]) }
        output(writer.finished() + [UInt8(ascii: "\n")])
    }

    /// One `write` per line, so lines from many threads never interleave.
    public static let standardOutput: @Sendable ([UInt8]) -> Void = { line in
        line.withUnsafeBytes { _ = write(STDOUT_FILENO, $0.baseAddress, $0.count) }
    }

    /// `2026-12-03T05:30:12.345Z`.
    static func timestamp(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1_000).rounded(.down))
        var seconds = time_t(milliseconds / 1_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let fraction = String(milliseconds % 1_000)
        return "\(parts.tm_year + 1_900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))."
            + String(repeating: "0", count: 3 - fraction.count) + fraction + "Z"
    }
}
