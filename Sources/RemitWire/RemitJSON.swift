import Foundation
import Hummingbird

/// A JSON response in Remit's JSON conventions.
public func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    Response(
        status: status,
        headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(bytes: try RemitJSON.encoder().encode(value)))
    )
}

/// Remit's JSON conventions: sorted keys (bodies are stable byte for byte), ISO 8601 dates.
public enum RemitJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Self.dateStyle))
        }
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            if let date = try? Self.dateStyle.parse(text) { return date }
            return try Date.ISO8601FormatStyle().parse(text)
        }
        return decoder
    }

    /// ISO 8601 in UTC with milliseconds: 2026-11-28T01:55:14.123Z.
    static let dateStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
