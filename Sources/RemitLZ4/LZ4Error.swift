/// Why a buffer could not be compressed or decompressed.
public struct LZ4Error: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case corrupt, truncated, tooLarge, compressionFailed
        }
        private let base: Base

        /// The bytes are not a valid LZ4 frame, or a checksum does not match.
        public static let corrupt = Code(base: .corrupt)
        /// The frame ends before its end mark.
        public static let truncated = Code(base: .truncated)
        /// The frame declares more uncompressed bytes than the limit allows; nothing was allocated.
        public static let tooLarge = Code(base: .tooLarge)
        /// liblz4 failed to compress (only an internal error can cause this).
        public static let compressionFailed = Code(base: .compressionFailed)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String

    public var description: String { "LZ4 \(code): \(message)" }
}
