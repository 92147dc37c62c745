/// A static Solidity ABI type, the kind a view call takes and returns in one 32-byte word.
public enum ABIType: Sendable, Hashable, CustomStringConvertible {
    /// `uintN`, N a multiple of 8 from 8 to 256.
    case uint(bits: Int)
    /// `intN`, two's complement, N a multiple of 8 from 8 to 256.
    case int(bits: Int)
    /// A 20-byte address, right-aligned in its word.
    case address
    /// `bool`: the word is 0 or 1.
    case bool
    /// `bytesN`, N from 1 to 32, left-aligned in its word.
    case fixedBytes(count: Int)

    /// The common sizes, for brevity: `.uint256`, `.uint128`, `.uint8`, `.int256`, `.bytes32`.
    public static let uint256 = ABIType.uint(bits: 256)
    public static let uint128 = ABIType.uint(bits: 128)
    public static let uint8 = ABIType.uint(bits: 8)
    public static let int256 = ABIType.int(bits: 256)
    public static let bytes32 = ABIType.fixedBytes(count: 32)

    /// The type a Solidity type name denotes, aliases included (`uint` is `uint256`, `int` is `int256`); nil for any other name.
    public init?(name: String) {
        switch name {
        case "address": self = .address
        case "bool": self = .bool
        case "uint": self = .uint256
        case "int": self = .int256
        default:
            if let bits = ABIType.size(in: name, after: "uint"), ABIType.isIntegerWidth(bits) {
                self = .uint(bits: bits)
            } else if let bits = ABIType.size(in: name, after: "int"), ABIType.isIntegerWidth(bits) {
                self = .int(bits: bits)
            } else if let count = ABIType.size(in: name, after: "bytes"), (1...32).contains(count) {
                self = .fixedBytes(count: count)
            } else {
                return nil
            }
        }
    }

    /// The canonical name used in selectors: `uint256`, `int8`, `address`, `bool`, `bytes32`.
    public var description: String {
        switch self {
        case .uint(let bits): "uint\(bits)"
        case .int(let bits): "int\(bits)"
        case .address: "address"
        case .bool: "bool"
        case .fixedBytes(let count): "bytes\(count)"
        }
    }

    /// True when the associated size is one the ABI allows.
    public var isValid: Bool {
        switch self {
        case .uint(let bits), .int(let bits): ABIType.isIntegerWidth(bits)
        case .address, .bool: true
        case .fixedBytes(let count): (1...32).contains(count)
        }
    }

    /// The name with its article, for messages: `a uint256`, `an int8`, `an address`.
    var withArticle: String {
        switch self {
        case .int, .address: "an \(self)"
        default: "a \(self)"
        }
    }

    static func isIntegerWidth(_ bits: Int) -> Bool { (8...256).contains(bits) && bits.isMultiple(of: 8) }

    /// The decimal size after `prefix` in `name` (`uint256` → 256), written without leading zeros; nil otherwise.
    static func size(in name: String, after prefix: String) -> Int? {
        guard name.hasPrefix(prefix) else { return nil }
        let digits = name.dropFirst(prefix.count)
        guard let first = digits.first, first != "0", digits.allSatisfy({ ("0"..."9").contains($0) }), let size = Int(digits) else {
            return nil
        }
        return size
    }
}
