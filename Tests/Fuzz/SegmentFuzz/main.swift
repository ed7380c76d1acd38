import Foundation
import RemitDomain
import RemitFuzzDriver
import RemitSegment

// A reader decodes and verifies whatever bytes arrive as a segment. Whatever they are, it
// refuses them or accepts exactly what the writer wrote: the genuine segment of the seed corpus
// (`genuine-*.seg`, made by RemitReplicationTests from the tests' sample log) is the only log
// after the genesis head; an accepted input whose events differ from it is a forgery let through.
enum Genuine {
    static let genesis = LogHead(position: 0, hash: LedgerFormat.genesisHash, epoch: 0)
    static let events: [RecordedEvent] = {
        let path = ProcessInfo.processInfo.environment["REMIT_FUZZ_GENUINE_SEGMENT"] ?? "Tests/Fuzz/corpus/segment/genuine-4.seg"
        guard let data = FileManager.default.contents(atPath: path),
            case .success(let events)? = (try? Segment.decode(Array(data))).map({ SegmentVerifier.verify($0, after: genesis) })
        else { fatalError("the genuine segment \(path) does not verify") }
        return events
    }()
}

fuzz { data, count in
    guard let segment = try? Segment.decode(bytes(data, count)),
        case .success(let events) = SegmentVerifier.verify(segment, after: Genuine.genesis)
    else { return 0 }
    precondition(events == Array(Genuine.events.prefix(events.count)), "a segment whose events the writer never wrote was accepted")
    return 0
}
