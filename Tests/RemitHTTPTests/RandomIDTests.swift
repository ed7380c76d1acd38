import Foundation
import RemitWire
import Testing

@Suite("random ids")
struct RandomIDTests {
    @Test("UUIDs are version 4, variant 10, and distinct")
    func uuids() {
        let ids = (0..<10_000).map { _ in RandomID.uuid() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(100) {
            let text = id.uuidString.lowercased()
            #expect(Array(text)[14] == "4", "\(text)")
            #expect("89ab".contains(Array(text)[19]), "\(text)")
        }
        // Every other nibble varies: across many ids each random hex position takes many values.
        let texts = ids.map { Array($0.uuidString.lowercased()) }
        for position in 0..<36 where ![8, 13, 14, 18, 23].contains(position) {
            #expect(Set(texts.map { $0[position] }).count >= (position == 19 ? 4 : 16), "position \(position)")
        }
    }

    @Test("hex is lowercase, as long as asked, varied in every position, never all zeros")
    func hex() {
        let texts = (0..<5_000).map { _ in RandomID.hex(bytes: 16) }
        #expect(texts.allSatisfy { $0.utf8.count == 32 && $0.allSatisfy { "0123456789abcdef".contains($0) } && $0.contains { $0 != "0" } })
        #expect(Set(texts).count == texts.count)
        for position in 0..<32 { #expect(Set(texts.map { Array($0)[position] }).count == 16, "position \(position)") }
        #expect(RandomID.hex(bytes: 1).utf8.count == 2 && RandomID.hex(bytes: 9).utf8.count == 18)
    }
}
