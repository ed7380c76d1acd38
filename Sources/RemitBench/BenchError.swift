/// Why a benchmark could not run or measure: a one-line reason for the command to print.
public struct BenchError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
