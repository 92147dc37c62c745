/// The first four bytes of keccak256 of a canonical signature: what calldata starts with, and what names a custom error.
public struct ABISelector: Sendable, Hashable, CustomStringConvertible {
    /// The four bytes, big-endian.
    public let value: UInt32

    /// The selector whose four big-endian bytes make `value` (`0xd511609f`).
    public init(_ value: UInt32) {
        self.value = value
    }

    /// The selector of a canonical signature such as `getWithdrawnAmount(uint256)`; the text is hashed as is.
    public init(signature: String) {
        let hash = Keccak256.hash(signature.utf8)
        self.init(hash.prefix(4).reduce(0) { $0 << 8 | UInt32($1) })
    }

    /// The selector spelled by the first four of `bytes`; nil when there are fewer.
    public init?(prefixOf bytes: some Collection<UInt8>) {
        guard bytes.count >= 4 else { return nil }
        self.init(bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) })
    }

    /// The four bytes, big-endian.
    public var bytes: [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// `0x` and eight lowercase hex digits.
    public var description: String { Hex.encode(bytes) }
}
