/// What a reverted call said: nothing, `Error(string)`, `Panic(uint256)`, or a custom error known by its selector.
public enum RevertReason: Sendable, Hashable, CustomStringConvertible {
    /// `revert()` or `require(cond)` without a message: no data at all.
    case empty
    /// `Error(string)` (0x08c379a0): a `require` or `revert` message.
    case error(String)
    /// `Panic(uint256)` (0x4e487b71): an assert, an overflow, a division by zero…
    case panic(UInt256)
    /// A custom error: its selector and the ABI-encoded arguments after it.
    case custom(ABISelector, arguments: [UInt8])

    /// `Error(string)`.
    public static let errorSelector = ABISelector(0x08C3_79A0)
    /// `Panic(uint256)`.
    public static let panicSelector = ABISelector(0x4E48_7B71)

    /// Reads revert data; a known selector with malformed arguments, or 1–3 bytes, is an `ABIError`.
    public init(decoding data: [UInt8]) throws(ABIError) {
        if data.isEmpty {
            self = .empty
            return
        }
        guard let selector = ABISelector(prefixOf: data) else {
            throw ABIError(.malformed, "revert data is \(data.count) bytes; an error selector takes 4")
        }
        let arguments = Array(data.dropFirst(4))
        switch selector {
        case RevertReason.errorSelector:
            let reader = ABIReader(data: arguments, subject: "Error(string) revert data")
            let bytes = try reader.bytes(at: reader.offset(at: 0, from: 0, "the message"), "the message")
            guard let message = String(validating: bytes, as: UTF8.self) else {
                throw ABIError(.malformed, "Error(string) revert message is not valid UTF-8: \(Hex.encode(bytes))")
            }
            self = .error(message)
        case RevertReason.panicSelector:
            let reader = ABIReader(data: arguments, subject: "Panic(uint256) revert data")
            self = .panic(UInt256(bigEndianBytes: try reader.word(at: 0))!)
        default:
            self = .custom(selector, arguments: arguments)
        }
    }

    /// The selector the data started with; nil for `empty`.
    public var selector: ABISelector? {
        switch self {
        case .empty: nil
        case .error: RevertReason.errorSelector
        case .panic: RevertReason.panicSelector
        case .custom(let selector, _): selector
        }
    }

    /// `reverted without data`, `Error("…")`, `Panic(0x11)`, `custom error 0x171cfce0`.
    public var description: String {
        switch self {
        case .empty: "reverted without data"
        case .error(let message): "Error(\(String(reflecting: message)))"
        case .panic(let code): "Panic(\(code.hexQuantity))"
        case .custom(let selector, _): "custom error \(selector)"
        }
    }
}
