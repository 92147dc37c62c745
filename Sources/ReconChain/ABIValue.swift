/// A value of a static ABI type: an argument to encode or a decoded return value.
public enum ABIValue: Sendable, Hashable, CustomStringConvertible {
    case uint(UInt256)
    case int(Int256)
    case address(EthereumAddress)
    case bool(Bool)
    /// The N bytes of a `bytesN`.
    case fixedBytes([UInt8])

    /// Reads `text` as `type` spells it: decimal for integers (`-` only for intN), hex for address and bytesN, `true`/`false` for bool.
    public init(parsing text: String, as type: ABIType) throws(ABIError) {
        switch type {
        case .uint(let bits):
            guard let value = UInt256(text) else {
                throw ABIError(.invalidValue, "'\(text)' is not \(type.withArticle): write an unsigned decimal integer")
            }
            guard value.fits(bits: bits) else { throw ABIError(.invalidValue, "\(value) does not fit in \(type)") }
            self = .uint(value)
        case .int(let bits):
            guard let value = Int256(text) else {
                throw ABIError(.invalidValue, "'\(text)' is not \(type.withArticle): write a decimal integer")
            }
            guard value.fits(bits: bits) else { throw ABIError(.invalidValue, "\(value) does not fit in \(type)") }
            self = .int(value)
        case .address:
            do {
                self = .address(try EthereumAddress(text))
            } catch {
                throw ABIError(.invalidValue, error.message)
            }
        case .bool:
            switch text {
            case "true": self = .bool(true)
            case "false": self = .bool(false)
            default: throw ABIError(.invalidValue, "'\(text)' is not a bool: write true or false")
            }
        case .fixedBytes(let count):
            let bytes: [UInt8]
            do {
                bytes = try Hex.decode(text)
            } catch {
                throw ABIError(.invalidValue, "'\(text)' is not \(type.withArticle): \(error.message)")
            }
            guard bytes.count == count else {
                throw ABIError(.invalidValue, "'\(text)' is \(bytes.count) bytes; \(type) takes \(count)")
            }
            self = .fixedBytes(bytes)
        }
    }

    /// Decimal for integers, the checksummed address, `true`/`false`, `0x`-hex for bytes.
    public var description: String {
        switch self {
        case .uint(let value): value.description
        case .int(let value): value.description
        case .address(let address): address.checksummed
        case .bool(let value): value.description
        case .fixedBytes(let bytes): Hex.encode(bytes)
        }
    }

    /// What kind of value this is, for messages: `an unsigned integer`, `an address`.
    var kindName: String {
        switch self {
        case .uint: "an unsigned integer"
        case .int: "a signed integer"
        case .address: "an address"
        case .bool: "a bool"
        case .fixedBytes: "fixed bytes"
        }
    }
}
