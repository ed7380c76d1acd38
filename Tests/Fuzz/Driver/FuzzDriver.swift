import Foundation

#if REMIT_FUZZ
@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
#endif

/// Runs libFuzzer's driver (its options and corpus folders from the command line) over `test`.
/// Only a build by `tools/fuzz` (instrumented, `-DREMIT_FUZZ`, libFuzzer linked) fuzzes; any
/// other build of the harness says so and exits 2.
public func fuzz(_ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    #if REMIT_FUZZ
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(runDriver(&argc, &argv, test))
    #else
    FileHandle.standardError.write(Data("this harness fuzzes only when built by tools/fuzz\n".utf8))
    exit(2)
    #endif
}

/// The input as bytes (libFuzzer may pass no pointer for an empty input).
public func bytes(_ data: UnsafePointer<UInt8>?, _ count: Int) -> [UInt8] {
    guard let data else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: count))
}
