import CLZ4
import RemitCore

/// Compresses buffers as LZ4 frames (the format of the `lz4` command-line tool), recording the
/// uncompressed size in the frame header and checksumming every block and the whole content,
/// so that a flipped bit anywhere is an error, never silently wrong data.
public enum LZ4 {
    public static func compress(_ input: [UInt8]) throws(LZ4Error) -> [UInt8] {
        var preferences = LZ4F_preferences_t()
        preferences.frameInfo.blockSizeID = LZ4F_max4MB
        preferences.frameInfo.blockMode = LZ4F_blockIndependent
        preferences.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled
        preferences.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled
        preferences.frameInfo.contentSize = UInt64(input.count)
        let bound = LZ4F_compressFrameBound(input.count, &preferences)
        var result = 0
        let output = [UInt8](unsafeUninitializedCapacity: bound) { buffer, written in
            result = input.withUnsafeBytes { source in
                LZ4F_compressFrame(buffer.baseAddress, bound, source.baseAddress, input.count, &preferences)
            }
            written = LZ4F_isError(result) == 0 ? result : 0
        }
        guard LZ4F_isError(result) == 0 else {
            throw LZ4Error(code: .compressionFailed, message: errorName(result))
        }
        return output
    }

    /// Decompresses one frame. The declared size is checked against `limitBytes` before any
    /// allocation; the output must be exactly the declared size and both checksums must match.
    public static func decompress(
        _ input: [UInt8],
        limitBytes: Int = Limits.lz4DecompressedBytesMax
    ) throws(LZ4Error) -> [UInt8] {
        var context: OpaquePointer?
        let created = LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(created) == 0, let context else {
            throw LZ4Error(code: .compressionFailed, message: errorName(created))
        }
        defer { LZ4F_freeDecompressionContext(context) }

        return try input.withUnsafeBytes { source in
            Result { () throws(LZ4Error) in try decompressFrame(context, source: source, limitBytes: limitBytes) }
        }.get()
    }

    private static func decompressFrame(
        _ context: OpaquePointer,
        source: UnsafeRawBufferPointer,
        limitBytes: Int
    ) throws(LZ4Error) -> [UInt8] {
            guard let base = source.baseAddress, !source.isEmpty else {
                throw LZ4Error(code: .truncated, message: "no bytes")
            }
            var info = LZ4F_frameInfo_t()
            var headerBytes = source.count
            let hint = LZ4F_getFrameInfo(context, &info, base, &headerBytes)
            guard LZ4F_isError(hint) == 0 else {
                let name = errorName(hint)
                throw LZ4Error(code: name.contains("incomplete") ? .truncated : .corrupt, message: name)
            }
            // A frame without a content size can only be the empty frame: LZ4F omits size 0.
            guard info.contentSize <= UInt64(limitBytes) else {
                throw LZ4Error(
                    code: .tooLarge,
                    message: "declares \(info.contentSize) bytes, the limit is \(limitBytes)"
                )
            }
            let declared = Int(info.contentSize)
            var failure: LZ4Error?
            // Capacity at least 1 so the buffer always has an address liblz4 can take.
            let output = [UInt8](unsafeUninitializedCapacity: max(declared, 1)) { buffer, written in
                written = 0
                do throws(LZ4Error) {
                    try decompressBody(
                        context,
                        source: UnsafeRawBufferPointer(rebasing: source[headerBytes...]),
                        into: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[..<declared])),
                        written: &written
                    )
                } catch {
                    failure = error
                    written = 0
                }
            }
            if let failure { throw failure }
            return output
    }

    private static func decompressBody(
        _ context: OpaquePointer,
        source: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer,
        written: inout Int
    ) throws(LZ4Error) {
        // Both buffers are slices of non-empty allocations, so their addresses exist even when empty.
        var consumed = 0
        while true {
            var sourceBytes = source.count - consumed
            var outputBytes = output.count - written
            let hint = LZ4F_decompress(
                context, output.baseAddress! + written, &outputBytes, source.baseAddress! + consumed, &sourceBytes, nil
            )
            guard LZ4F_isError(hint) == 0 else {
                throw LZ4Error(code: .corrupt, message: errorName(hint))
            }
            consumed += sourceBytes
            written += outputBytes
            if hint == 0 {
                // The end mark and the content checksum have been read and verified.
                guard written == output.count else {
                    throw LZ4Error(code: .corrupt, message: "content is \(written) bytes, the header declared \(output.count)")
                }
                guard consumed == source.count else {
                    throw LZ4Error(code: .corrupt, message: "\(source.count - consumed) bytes follow the end of the frame")
                }
                return
            }
            if sourceBytes == 0 && outputBytes == 0 {
                // No progress: either the input ran out, or the content is larger than declared.
                if consumed == source.count {
                    throw LZ4Error(code: .truncated, message: "the frame ends before its end mark")
                }
                throw LZ4Error(code: .corrupt, message: "content is larger than the header declared")
            }
        }
    }

    private static func errorName(_ code: Int) -> String {
        String(cString: LZ4F_getErrorName(code))
    }
}
