import Foundation
import RemitDomain
import Testing
@testable import RemitImport

@Suite("payout files")
struct PayoutFileTests {
    static let header = "senderName,senderBank,senderAccount,receiverName,receiverBank,receiverAccount,amount,currency,reference"

    func read(_ text: String) -> Result<PayoutFile, PayoutFile.Problems> { PayoutFile.read(Array(text.utf8)) }

    @Test("lines become remittances with the lines they start on; quotes, commas, line breaks and CRLF as RFC 4180 writes them")
    func good() throws {
        let file = try read(
            Self.header + "\r\n"
                + "Acme,First Bank,111,Bob,Second Bank,222,1500,EUR,salary\r\n"
                + "\"Acme, Inc.\",First Bank,111,\"Ann \"\"Nan\"\" Lee\",Second Bank,333,99,USD,\"two, parts\"\r\n"
                + "\n"
                + "Acme,First Bank,111,Zoë,Second Bank,444,1,JPY,\n"
        ).get()
        #expect(file.lines.map(\.number) == [2, 3, 5])
        #expect(file.lines[1].details.senderName == "Acme, Inc." && file.lines[1].details.receiverName == "Ann \"Nan\" Lee")
        #expect(file.lines[1].details.reference == "two, parts")
        #expect(file.lines[2].details.reference == nil && file.lines[2].details.amount == 1)
        #expect(file.lines[0].details == RemittanceDetails(
            senderName: "Acme", senderBank: "First Bank", senderAccount: "111", receiverName: "Bob", receiverBank: "Second Bank",
            receiverAccount: "222", amount: 1500, currency: "EUR", reference: "salary"
        ))
    }

    @Test("a line's key: its own column, or made of its number and content, the same every time the file is read")
    func keys() throws {
        let text = Self.header + "\nA,B,1,C,D,2,10,EUR,x\nA,B,1,C,D,2,10,EUR,x\n"
        let first = try read(text).get(), again = try read(text).get()
        #expect(first.lines.map(\.idempotencyKey) == again.lines.map(\.idempotencyKey))
        #expect(first.lines[0].idempotencyKey != first.lines[1].idempotencyKey, "two equal payments on two lines are two remittances")
        #expect(first.lines[0].idempotencyKey.hasPrefix("import-") && first.lines[0].idempotencyKey.count == 39)
        let keyed = try read("idempotencyKey," + Self.header + "\npay-1,A,B,1,C,D,2,10,EUR,x\n").get()
        #expect(keyed.lines[0].idempotencyKey == "pay-1")
    }

    @Test("every bad line is named, and a file with one yields nothing to send")
    func bad() {
        guard case .failure(let problems) = read(
            Self.header + "\n"
                + "A,B,1,C,D,2,10,EUR,ok\n"
                + "A,B,1,C,D,2,12.5,EUR,x\n"
                + "A,B,1,C,D,2,10,EURO,x\n"
                + "A,B,1,C,D\n"
                + ",B,1,C,D,2,-3,EUR,x\n"
                + "A,B,1,C,D,2,10,EUR,\"two\nlines\"\n"
                + "A,B,1,C,D,2,10,EUR\n"
        ) else { Issue.record("a file with bad lines was taken"); return }
        #expect(problems.all.map(\.line) == [3, 4, 5, 6, 6, 7, 9])
        #expect(problems.all[5].description == "line 7: reference: must not contain control characters")
        #expect(problems.all[0].description == "line 3: amount: must be a whole number of minor units, not \"12.5\"")
        #expect(problems.all[1].description.hasPrefix("line 4: currency: "))
        #expect(problems.all[2].description == "line 5: 5 fields, the header names 9")
        #expect(Set(problems.all.filter { $0.line == 6 }.map { $0.message.split(separator: ":")[0] }) == ["senderName", "amount"])
    }

    @Test("the file itself: header, quoting, encoding, emptiness")
    func malformed() {
        func problems(_ text: String) -> [String] {
            guard case .failure(let problems) = read(text) else { return [] }
            return problems.all.map(\.description)
        }
        #expect(problems("") == ["the file is empty: it needs a header line"])
        #expect(problems(Self.header + "\n") == ["the file holds a header and no remittance"])
        #expect(problems("senderName,amount,bogus\n") .contains("line 1: unknown column \"bogus\" (columns: senderName, senderBank, senderAccount, receiverName, receiverBank, receiverAccount, amount, currency, reference, idempotencyKey)"))
        #expect(problems("senderName,amount\n").contains("line 1: the header lacks the column \"currency\""))
        #expect(problems(Self.header + ",amount\n") == ["line 1: a column is named twice"])
        #expect(problems(Self.header + "\nA,\"B,1\n") == ["line 2: a quoted field is not closed"])
        #expect(problems(Self.header + "\nA,\"B\"x,1\n") == ["line 2: text after a closing quote; a quote inside a quoted field is written twice"])
        #expect(problems(Self.header + "\nA,B\"x,1\n") == ["line 2: a quote inside an unquoted field; quote the field and write the quote twice"])
        #expect(PayoutFile.read([0xFF, 0xFE]).failure?.all.map(\.description) == ["the file is not UTF-8 text"])
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}
