import CLZ4
import Testing
@testable import RemitLZ4

@Suite("LZ4 frames")
struct LZ4Tests {
    @Test("round trip", arguments: [0, 1, 7, 1024 * 1024])
    func roundTrip(size: Int) throws {
        let input = (0..<size).map { UInt8(truncatingIfNeeded: $0 / 3) }
        let compressed = try LZ4.compress(input)
        #expect(try LZ4.decompress(compressed) == input)
        if size == 1024 * 1024 {
            #expect(compressed.count < input.count / 10, "repetitive data should compress well")
        }
    }

    @Test("incompressible input round-trips and grows only by the frame overhead")
    func incompressible() throws {
        var generator = SystemRandomNumberGenerator()
        let input = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let compressed = try LZ4.compress(input)
        #expect(try LZ4.decompress(compressed) == input)
        #expect(compressed.count < input.count + 1024)
    }

    @Test("a flipped bit anywhere is rejected")
    func corruptBytes() throws {
        let input = Array("remittance ledger segment ".utf8).repeated(200)
        let compressed = try LZ4.compress(input)
        // Every position: header, block sizes, data, checksums.
        for position in stride(from: 0, to: compressed.count, by: max(1, compressed.count / 97)) {
            var corrupt = compressed
            corrupt[position] ^= 0x10
            #expect(throws: LZ4Error.self, "flip at \(position) of \(compressed.count)") {
                try LZ4.decompress(corrupt)
            }
        }
    }

    @Test("truncated input is rejected as truncated")
    func truncated() throws {
        let compressed = try LZ4.compress(Array("x".utf8).repeated(10_000))
        for length in [0, 3, 6, compressed.count / 2, compressed.count - 1] {
            let error = #expect(throws: LZ4Error.self) { try LZ4.decompress(Array(compressed.prefix(length))) }
            #expect(error?.code == .truncated, "length \(length): \(String(describing: error))")
        }
    }

    @Test("a declared size over the limit is refused before allocating")
    func oversize() throws {
        let compressed = try LZ4.compress([UInt8](repeating: 0, count: 10_000))
        let error = #expect(throws: LZ4Error.self) { try LZ4.decompress(compressed, limitBytes: 9_999) }
        #expect(error?.code == .tooLarge)
        // A hand-made header declaring 2^40 bytes is refused the same way.
        let hugeFrame: [UInt8] = frameHeader(contentSize: 1 << 40)
        let hugeError = #expect(throws: LZ4Error.self) { try LZ4.decompress(hugeFrame) }
        #expect(hugeError?.code == .tooLarge)
    }

    @Test("bytes after the end of the frame are rejected")
    func trailingBytes() throws {
        let compressed = try LZ4.compress(Array("abc".utf8))
        let error = #expect(throws: LZ4Error.self) { try LZ4.decompress(compressed + [0]) }
        #expect(error?.code == .corrupt)
    }

    /// A valid LZ4 frame header (checksummed by liblz4 itself) that declares `contentSize`.
    private func frameHeader(contentSize: UInt64) -> [UInt8] {
        var context: OpaquePointer?
        _ = LZ4F_createCompressionContext(&context, UInt32(LZ4F_VERSION))
        defer { LZ4F_freeCompressionContext(context) }
        var preferences = LZ4F_preferences_t()
        preferences.frameInfo.contentSize = contentSize
        var header = [UInt8](repeating: 0, count: Int(LZ4F_HEADER_SIZE_MAX))
        let written = LZ4F_compressBegin(context, &header, header.count, &preferences)
        return Array(header.prefix(written))
    }
}

extension Array {
    func repeated(_ times: Int) -> [Element] {
        (0..<times).flatMap { _ in self }
    }
}
