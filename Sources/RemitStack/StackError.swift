/// Why the embedded stack could not start or stop; `message` is one line an operator can act on.
public struct StackError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
