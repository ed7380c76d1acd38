import ArgumentParser
import Foundation
import RemitRouter

/// `--alarms-file`: alarm thresholds as JSON; a one-line reason when the file is wrong.
enum AlarmFile {
    static func read(_ path: String) throws -> AlarmThresholds {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("can not read the alarms file \(path)") }
        do {
            return try JSONDecoder().decode(AlarmThresholds.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            throw ValidationError("\(path): \(context.debugDescription)")
        } catch let DecodingError.typeMismatch(_, context) {
            throw ValidationError("\(path): \(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type")
        } catch {
            throw ValidationError("\(path) is not a JSON object of thresholds")
        }
    }
}
