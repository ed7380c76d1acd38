import ArgumentParser
import Logging
import RemitWire

/// `--log-format`: `text` (swift-log's plain lines) or `json` (one object per line, for a log
/// shipper: `JSONLogHandler`).
enum LogFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text, json

    /// Chooses the format for the whole process; before the first logger is made, once.
    func bootstrap() {
        switch self {
        case .text: break  // swift-log's default
        case .json: LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        }
    }
}
