import ArgumentParser
import AsyncHTTPClient
import Foundation
import RemitCore
import RemitImport

/// `remit import FILE.csv`: a payout file through the batch route, checked whole first.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the remittances of a payout file (CSV) through the API, in batches.",
        discussion: """
            The file's header names its columns: senderName, senderBank, senderAccount, receiverName, receiverBank, \
            receiverAccount, amount (minor units), currency, and optionally reference and idempotencyKey. Every line is \
            checked before anything is sent: one bad line and nothing is imported. A line without an idempotencyKey is \
            sent with a key made of its line number and content, so running the same file again creates nothing twice. \
            Prints one line per remittance (line, outcome, id or reason) and a summary; exits 1 when a line was refused.
            """
    )

    @Argument(help: "The payout file (CSV, UTF-8).")
    var file: String

    @Option(help: "The API's base URL: the router, or a region's node.")
    var url = "http://127.0.0.1:8080"

    @Option(help: "Lines per request (1 to \(Limits.batchItemsMax)).")
    var batch = 500

    @Option(help: "The user the import signs in as (needs the clerk role).")
    var username = "admin"

    @Option(help: "File holding that user's password. Default: <data-dir>/admin-password, written by remit up.")
    var passwordFile: String?

    @OptionGroup var stack: StackOptions

    func validate() throws {
        guard (1...Limits.batchItemsMax).contains(batch) else { throw ValidationError("--batch must be 1 to \(Limits.batchItemsMax)") }
    }

    func run() async throws {
        guard let bytes = FileManager.default.contents(atPath: file) else { fail("can not read \(file)", code: 2) }
        let payouts: PayoutFile
        switch PayoutFile.read(Array(bytes)) {
        case .success(let read): payouts = read
        case .failure(let problems):
            for problem in problems.all { FileHandle.standardError.write(Data("\(file): \(problem)\n".utf8)) }
            fail("\(problems.all.count) problem(s) in \(file); nothing was imported", code: 1)
        }
        let password = try stack.adminPassword(from: passwordFile)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let drawsProgress = isatty(STDERR_FILENO) == 1
        var done: Int64 = 0
        let summary: PayoutImport.Summary
        do {
            let token = try await APISignIn.token(client: client, url: url, username: username, password: password)
            summary = try await PayoutImport(url: url, token: token, batchSize: batch).run(payouts, client: client) { lines, outcomes in
                if drawsProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                for (line, outcome) in zip(lines, outcomes) {
                    switch outcome {
                    case .created(let id): print("line \(line.number): created \(id)")
                    case .repeated(let id): print("line \(line.number): already imported \(id)")
                    case .refused(let reason): print("line \(line.number): refused: \(reason)")
                    }
                }
                done += Int64(lines.count)
                if drawsProgress { ProgressBar.draw(done: done, total: Int64(payouts.lines.count), unit: "lines") }
            }
        } catch {
            try? await client.shutdown()
            if drawsProgress { FileHandle.standardError.write(Data("\n".utf8)) }
            fail("\(error)", code: 2)
        }
        try? await client.shutdown()
        if drawsProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        print("imported \(file): \(summary.created) created, \(summary.repeated) already imported, \(summary.refused) refused")
        if summary.refused > 0 { throw ExitCode(1) }
    }

    private func fail(_ reason: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("remit import: \(reason)\n".utf8))
        Foundation.exit(code)
    }
}
