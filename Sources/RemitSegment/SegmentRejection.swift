/// Why a segment was not applied. Each reason is counted under its `slug`; nothing of a
/// rejected segment is ever applied.
public enum SegmentRejection: Error, Equatable, Sendable, CustomStringConvertible {
    /// Shorter than its header says.
    case truncated(String)
    /// Not a segment: bad magic, sizes that do not add up, records that do not parse.
    case malformed(String)
    case unsupportedVersion(UInt16)
    /// Declares more events or bytes than a segment may carry (checked before decompressing).
    case tooLarge(String)
    /// The compressed bytes do not match the header's checksum.
    case checksum
    /// The compressed bytes do not decompress to the declared size (LZ4's own checks).
    case corrupt(String)
    /// The header's positions or epochs disagree with the records it carries.
    case headerMismatch(String)
    /// Starts after the reader's head + 1: events in between are missing.
    case gap(readerHead: Int64, first: Int64)
    /// Starts at or before the reader's head but goes beyond it.
    case overlap(readerHead: Int64, first: Int64)
    /// Holds nothing after the reader's head: an old segment again.
    case replay(readerHead: Int64, last: Int64)
    /// From an epoch older than the reader's.
    case staleEpoch(readerEpoch: Int64, segmentEpoch: Int64)
    /// An epoch change that is not an `EpochStarted` consistent with the log before it.
    case epochHistory(position: Int64, reason: String)
    /// The hashes do not chain from the reader's head to the header's last hash.
    case brokenChain(position: Int64)

    /// Every `slug`: the reasons a reader's figures count refusals by.
    public static let kinds = [
        "truncated", "malformed", "unsupported-version", "too-large", "checksum", "corrupt", "header-mismatch", "gap", "overlap",
        "replay", "stale-epoch", "epoch-history", "broken-chain",
    ]

    public var slug: String {
        switch self {
        case .truncated: "truncated"
        case .malformed: "malformed"
        case .unsupportedVersion: "unsupported-version"
        case .tooLarge: "too-large"
        case .checksum: "checksum"
        case .corrupt: "corrupt"
        case .headerMismatch: "header-mismatch"
        case .gap: "gap"
        case .overlap: "overlap"
        case .replay: "replay"
        case .staleEpoch: "stale-epoch"
        case .epochHistory: "epoch-history"
        case .brokenChain: "broken-chain"
        }
    }

    public var description: String {
        switch self {
        case .truncated(let detail): "truncated: \(detail)"
        case .malformed(let detail): "malformed: \(detail)"
        case .unsupportedVersion(let version): "unsupported segment format version \(version)"
        case .tooLarge(let detail): "too large: \(detail)"
        case .checksum: "the compressed bytes do not match the header's checksum"
        case .corrupt(let detail): "the compressed bytes do not decompress: \(detail)"
        case .headerMismatch(let detail): "the header disagrees with the records: \(detail)"
        case .gap(let head, let first): "gap: the reader's head is \(head), the segment starts at \(first)"
        case .overlap(let head, let first): "overlap: the reader's head is \(head), the segment starts at \(first)"
        case .replay(let head, let last): "replay: the reader's head is \(head), the segment ends at \(last)"
        case .staleEpoch(let reader, let segment): "stale epoch: the reader is at epoch \(reader), the segment at \(segment)"
        case .epochHistory(let position, let reason): "epoch history broken at position \(position): \(reason)"
        case .brokenChain(let position): "the hash chain breaks at position \(position)"
        }
    }
}
