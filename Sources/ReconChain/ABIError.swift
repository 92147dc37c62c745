/// Why bytes could not be ABI-encoded or decoded, in words an operator can act on.
public struct ABIError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// A value that does not fit its declared type: out of range, dirty padding, a bool that is not 0 or 1.
        case invalidValue = "invalid-value"
        /// Bytes not laid out as the ABI requires: too short or long, an offset or a length out of range.
        case malformed
        /// Arguments that do not match the signature: the wrong number or the wrong kind of value.
        case argumentMismatch = "argument-mismatch"
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The same error with `context` and a colon in front of its message.
    func prefixed(_ context: String) -> ABIError { ABIError(kind, "\(context): \(message)") }

    public var description: String { message }
}
