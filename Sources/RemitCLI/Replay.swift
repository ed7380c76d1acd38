import ArgumentParser
import Foundation
import Synchronization
import RemitCore
import RemitDomain
import RemitPostgres
import RemitStorage

/// `remit replay --as-of`: the whole remittance table as the ledger said it was at a point.
struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print every remittance as the log said it was at a position or a time, as CSV or JSON.",
        discussion: """
            Folds the log itself (not the views) up to the point, in one read-only snapshot, and \
            prints the remittances that existed then in id order. Values are printed exactly as \
            stored: a spreadsheet may read a field that starts with = as a formula.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case csv, json
    }

    @Option(help: ArgumentHelp("A log position, or an RFC 3339 date-time such as 2026-12-03T14:00:00Z.", valueName: "position|time"))
    var asOf: String

    @Option(help: "csv or json.")
    var format: Format = .csv

    @OptionGroup var database: RegionDatabaseOptions

    func validate() throws {
        guard AsOf(asOf) != nil else { throw ValidationError("--as-of \(asOf.prefix(60)): expected a log position or an RFC 3339 date-time") }
    }

    func run() async throws {
        let pool = PostgresPool(url: try database.url, connectionsMax: 1, applicationName: "remit replay")
        let format = self.format
        // Every byte through one unbuffered handle, so that the header and the rows keep their order.
        let output = FileHandle.standardOutput
        output.write(Data((format == .csv ? Self.csvHeader + "\n" : "[").utf8))
        let printed = Mutex(0)
        do {
            let count = try await LedgerReplay.remittances(pool, asOf: AsOf(asOf)!) { rows in
                var text = ""
                for row in rows {
                    switch format {
                    case .csv: text += Self.csvLine(row) + "\n"
                    case .json: text += (printed.withLock { count in defer { count += 1 }; return count } == 0 ? "\n" : ",\n") + (try Self.jsonLine(row))
                    }
                }
                output.write(Data(text.utf8))
            }
            if format == .json { output.write(Data((count == 0 ? "]\n" : "\n]\n").utf8)) }
            FileHandle.standardError.write(Data("remit replay: \(count) remittances as of \(asOf)\n".utf8))
        } catch let notReached as LedgerReplay.NotReached {
            await pool.close()
            FileHandle.standardError.write(Data("remit replay: \(notReached)\n".utf8))
            throw ExitCode(1)
        } catch {
            await pool.close()
            throw error
        }
        await pool.close()
    }

    static let csvHeader = "id,status,version,sender_name,sender_bank,sender_account,receiver_name,receiver_bank,receiver_account,amount,currency,reference,cancellation_reason,created_position,created_at_us,updated_at_us"

    static func csvLine(_ row: LedgerReplay.Row) -> String {
        let r = row.remittance, d = r.details
        let fields: [String] = [
            r.id.uuidString.lowercased(), r.status.rawValue, String(r.version), d.senderName, d.senderBank, d.senderAccount,
            d.receiverName, d.receiverBank, d.receiverAccount, String(d.amount), d.currency, d.reference ?? "", r.cancellationReason ?? "",
            String(row.createdPosition), String(microseconds(r.createdAt)), String(microseconds(r.updatedAt)),
        ]
        return fields.map(csvField).joined(separator: ",")
    }

    /// RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Microseconds since 1970, exactly as the log records them (and its hashes cover).
    static func microseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    struct JSONRow: Encodable {
        var id: String, status: String, version: Int32
        var senderName: String, senderBank: String, senderAccount: String
        var receiverName: String, receiverBank: String, receiverAccount: String
        var amount: Int64, currency: String, reference: String?, cancellationReason: String?
        var createdPosition: Int64, createdAtMicroseconds: Int64, updatedAtMicroseconds: Int64
    }

    static func jsonLine(_ row: LedgerReplay.Row) throws -> String {
        let r = row.remittance, d = r.details
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(JSONRow(
            id: r.id.uuidString.lowercased(), status: r.status.rawValue, version: r.version,
            senderName: d.senderName, senderBank: d.senderBank, senderAccount: d.senderAccount,
            receiverName: d.receiverName, receiverBank: d.receiverBank, receiverAccount: d.receiverAccount,
            amount: d.amount, currency: d.currency, reference: d.reference, cancellationReason: r.cancellationReason,
            createdPosition: row.createdPosition, createdAtMicroseconds: microseconds(r.createdAt), updatedAtMicroseconds: microseconds(r.updatedAt)
        )), as: UTF8.self)
    }

}
