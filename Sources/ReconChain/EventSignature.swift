/// A contract event as Solidity declares it: `WithdrawFromLockupStream(uint256 indexed streamId,
/// address indexed to, address indexed asset, uint128 amount)`. Its logs carry `topic0` (keccak256
/// of `canonical`), one topic per indexed parameter, and the other parameters' words as data.
public struct EventSignature: Sendable, Hashable, CustomStringConvertible {
    public struct Parameter: Sendable, Hashable {
        /// The canonical type name (`uint256` for `uint`); a static type's is `type`'s description.
        public let typeName: String
        /// The static type, nil for a dynamic one (`string`, `bytes`, arrays).
        public let type: ABIType?
        public let indexed: Bool
        /// The parameter's name; empty when the declaration gives none.
        public let name: String
    }

    /// Where a log carries a parameter's value.
    public enum Position: Sendable, Hashable, CustomStringConvertible {
        /// `topics[n]`, n from 1 (topic 0 is the event's hash).
        case topic(Int)
        /// The n-th 32-byte word of the data, from 0: each non-indexed parameter takes one head word.
        case dataWord(Int)

        public var description: String {
            switch self {
            case .topic(let index): "topic \(index)"
            case .dataWord(let index): "data word \(index)"
            }
        }
    }

    public let name: String
    public let parameters: [Parameter]
    /// keccak256 of `canonical`: a log's first topic.
    public let topic0: [UInt8]

    public init(name: String, parameters: [Parameter]) {
        self.name = name
        self.parameters = parameters
        topic0 = Keccak256.hash(Array("\(name)(\(parameters.map(\.typeName).joined(separator: ",")))".utf8))
    }

    /// Parses Solidity-like text: `[event] Name(type [indexed] [name], …)`.
    public init(parsing text: String) throws(SignatureError) {
        var parser = EventSignatureParser(text)
        self = try parser.parse()
    }

    /// The text `topic0` hashes: `Name(type,type)` with canonical type names, no spaces.
    public var canonical: String { "\(name)(\(parameters.map(\.typeName).joined(separator: ",")))" }

    public var description: String { canonical }

    /// Where the parameter called `name` sits in a log; nil when no parameter has that name.
    public func position(of name: String) -> Position? {
        guard let index = parameters.firstIndex(where: { $0.name == name }) else { return nil }
        let parameter = parameters[index]
        let before = parameters[..<index].filter { $0.indexed == parameter.indexed }.count
        return parameter.indexed ? .topic(before + 1) : .dataWord(before)
    }
}
