/// A read-only contract function with static arguments and one static return value: `getWithdrawnAmount(uint256) returns (uint128)`.
public struct ViewSignature: Sendable, Hashable, CustomStringConvertible {
    /// The function name, as in `getWithdrawnAmount`.
    public let name: String
    /// The argument types, in order.
    public let arguments: [ABIType]
    /// The type of the single value the call returns.
    public let returnType: ABIType
    /// keccak256 of `canonical`, first four bytes.
    public let selector: ABISelector

    /// A signature from its parts; `name` must be a Solidity identifier and every type valid.
    public init(name: String, arguments: [ABIType], returns returnType: ABIType) {
        precondition(arguments.allSatisfy(\.isValid) && returnType.isValid, "invalid ABI type in \(name)")
        self.name = name
        self.arguments = arguments
        self.returnType = returnType
        self.selector = ABISelector(signature: "\(name)(\(arguments.map(\.description).joined(separator: ",")))")
    }

    /// Parses Solidity-like text: `[function] name(type [name], …) [external|public|view|pure]… returns (type [name])`.
    public init(parsing text: String) throws(SignatureError) {
        var parser = ViewSignatureParser(text)
        self = try parser.parse()
    }

    /// The text the selector hashes: `name(type,type)` with canonical type names, no spaces.
    public var canonical: String { "\(name)(\(arguments.map(\.description).joined(separator: ",")))" }

    /// `canonical returns (type)`.
    public var description: String { "\(canonical) returns (\(returnType))" }
}

/// Why a signature text does not parse, and where.
public struct SignatureError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The text is not shaped like `name(types) returns (type)`.
        case syntax
        /// A type name the ABI does not have (`uint257`, `unit256`).
        case unknownType = "unknown-type"
        /// A real ABI type that a single-word view call cannot carry (`string`, arrays, tuples).
        case unsupportedType = "unsupported-type"
    }

    public var kind: Kind
    /// 1-based position, in characters, where the problem starts.
    public var column: Int
    public var message: String

    public init(_ kind: Kind, column: Int, _ message: String) {
        self.kind = kind
        self.column = column
        self.message = message
    }

    public var description: String { "column \(column): \(message)" }
}
