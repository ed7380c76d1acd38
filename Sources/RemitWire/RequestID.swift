import Foundation
import HTTPTypes

/// The request id carried from the router to the region and into every log line and event.
public enum RequestID {
    public static let header = HTTPField.Name("X-Request-Id")!
    /// The longest request id passed on as the client sent it.
    public static let lengthMax = 128

    /// The offered id when it is short and printable ASCII, else a new UUID: ids end up in
    /// log lines and events, so an arbitrary header value must not.
    public static func sanitize(_ offered: String?) -> String {
        if let offered, !offered.isEmpty, offered.utf8.count <= lengthMax,
            offered.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        {
            return offered
        }
        return RandomID.uuid().uuidString.lowercased()
    }
}
