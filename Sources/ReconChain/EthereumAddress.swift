/// Why a text is not an Ethereum address.
public struct AddressError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Not hex: a bad character or half a byte.
        case invalidHex = "invalid-hex"
        /// Hex, but not 20 bytes.
        case wrongLength = "wrong-length"
        /// Mixed case that is not the EIP-55 checksum: most likely a typo.
        case badChecksum = "bad-checksum"
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// A 20-byte account or contract address, read and written with the EIP-55 mixed-case checksum.
public struct EthereumAddress: Sendable, Hashable, CustomStringConvertible {
    /// The 20 bytes.
    public let bytes: [UInt8]

    /// The address of 20 `bytes`; nil for any other count.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 20 else { return nil }
        self.bytes = Array(bytes)
    }

    /// Reads 40 hex digits, `0x` optional; all-lowercase or all-uppercase is taken as is, mixed case must be the EIP-55 checksum.
    public init(_ text: String) throws(AddressError) {
        let decoded: [UInt8]
        do {
            decoded = try Hex.decode(text, requirePrefix: false)
        } catch {
            throw AddressError(.invalidHex, "'\(text)' is not an address: \(error.message) at column \(error.column)")
        }
        guard decoded.count == 20 else {
            throw AddressError(.wrongLength, "'\(text)' is not an address: it has \(decoded.count) bytes, an address has 20")
        }
        self.bytes = decoded
        let digits = text.utf8.starts(with: "0x".utf8) ? Substring(text.dropFirst(2)) : Substring(text)
        let hasUpper = digits.utf8.contains { (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0) }
        let hasLower = digits.utf8.contains { (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
        if hasUpper, hasLower, digits != checksummed.dropFirst(2) {
            // Never suggest the "right" spelling: it is the checksum of a possibly mistyped address.
            throw AddressError(.badChecksum, "'\(text)' has mixed case that is not its EIP-55 checksum; check the address for a typo")
        }
    }

    /// `0x` and the EIP-55 checksummed digits: a letter is uppercase when the matching nibble of keccak(lowercase hex) is 8 or more.
    public var checksummed: String {
        let lower = Array(Hex.encode(bytes, prefix: false).utf8)
        let hash = Keccak256.hash(lower)
        var digits = lower
        for index in 0..<40 where digits[index] >= UInt8(ascii: "a") {
            let nibble = index.isMultiple(of: 2) ? hash[index / 2] >> 4 : hash[index / 2] & 0x0F
            if nibble >= 8 { digits[index] -= 0x20 }
        }
        return "0x" + String(decoding: digits, as: UTF8.self)
    }

    /// `0x` and 40 lowercase hex digits.
    public var lowercased: String { Hex.encode(bytes) }

    /// The checksummed form.
    public var description: String { checksummed }
}
