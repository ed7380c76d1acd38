/// Where a reader's log ends: what a segment must continue.
public struct LogHead: Sendable, Equatable {
    public var position: Int64
    public var hash: [UInt8]
    public var epoch: Int64

    public init(position: Int64, hash: [UInt8], epoch: Int64) {
        self.position = position
        self.hash = hash
        self.epoch = epoch
    }
}
