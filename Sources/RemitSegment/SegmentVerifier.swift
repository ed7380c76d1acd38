import RemitDomain

/// Every check a reader makes before it applies a segment. Pure, so each rejection can be
/// tested byte by byte.
public enum SegmentVerifier {
    /// The events to insert (with their hashes, recomputed here), or why none may be.
    public static func verify(_ segment: Segment, after head: LogHead) -> Result<[RecordedEvent], SegmentRejection> {
        let header = segment.header
        if header.lastPosition <= head.position { return .failure(.replay(readerHead: head.position, last: header.lastPosition)) }
        if header.firstPosition <= head.position { return .failure(.overlap(readerHead: head.position, first: header.firstPosition)) }
        if header.firstPosition > head.position + 1 { return .failure(.gap(readerHead: head.position, first: header.firstPosition)) }
        if header.firstEpoch < head.epoch { return .failure(.staleEpoch(readerEpoch: head.epoch, segmentEpoch: header.firstEpoch)) }
        guard header.previousHash == head.hash else { return .failure(.brokenChain(position: header.firstPosition)) }

        var events: [RecordedEvent] = []
        events.reserveCapacity(segment.records.count)
        var (position, hash, epoch) = (head.position, head.hash, head.epoch)
        for fields in segment.records {
            guard fields.position == position + 1 else {
                return .failure(.malformed("position \(fields.position) follows \(position)"))
            }
            if fields.epoch < epoch { return .failure(.staleEpoch(readerEpoch: epoch, segmentEpoch: fields.epoch)) }
            if fields.type == "EpochStarted" || fields.epoch > epoch {
                if let problem = epochProblem(fields, epoch: epoch, previousHash: hash) {
                    return .failure(.epochHistory(position: fields.position, reason: problem))
                }
            }
            let event = fields.recorded(after: hash)
            events.append(event)
            (position, hash, epoch) = (event.position, event.hash, event.epoch)
        }
        guard hash == header.lastHash else { return .failure(.brokenChain(position: header.lastPosition)) }
        return .success(events)
    }

    /// A new epoch opens with exactly one `EpochStarted` naming it, right after the event
    /// before it; nothing else may raise the epoch.
    static func epochProblem(_ fields: LedgerFormat.RecordFields, epoch: Int64, previousHash: [UInt8]) -> String? {
        guard fields.type == "EpochStarted",
            case .epochStarted(let started)? = try? LedgerEvent.decode(type: fields.type, payload: fields.payload)
        else { return "epoch \(fields.epoch) begins without EpochStarted" }
        guard started.epoch == fields.epoch, fields.epoch > epoch else {
            return "EpochStarted(\(started.epoch)) in epoch \(fields.epoch) after epoch \(epoch)"
        }
        guard started.afterPosition == fields.position - 1, started.previousHash == previousHash.hex else {
            return "EpochStarted(\(started.epoch)) does not name the event before it"
        }
        return nil
    }
}
