/// Why a text is not hexadecimal: which rule it breaks and where.
public struct HexError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The text does not start with `0x`.
        case missingPrefix = "missing-prefix"
        /// An odd number of hex digits: half a byte.
        case oddLength = "odd-length"
        /// A character that is not `0-9`, `a-f` or `A-F`.
        case invalidCharacter = "invalid-character"
    }

    public var kind: Kind
    /// 1-based position, in characters, of the offending character (for `oddLength`, one past the end).
    public var column: Int
    public var message: String

    public init(_ kind: Kind, column: Int, _ message: String) {
        self.kind = kind
        self.column = column
        self.message = message
    }

    public var description: String { "column \(column): \(message)" }
}

/// Hexadecimal text ⇄ bytes, strictly: an even number of digits, nothing but `0-9a-fA-F` after the prefix.
public enum Hex {
    /// Lowercase hex of `bytes`, `0x`-prefixed unless `prefix` is false.
    public static func encode(_ bytes: some Collection<UInt8>, prefix: Bool = true) -> String {
        let count = (prefix ? 2 : 0) + 2 * bytes.count
        return String(unsafeUninitializedCapacity: count) { buffer in
            var index = 0
            if prefix {
                buffer[0] = UInt8(ascii: "0")
                buffer[1] = UInt8(ascii: "x")
                index = 2
            }
            for byte in bytes {
                buffer[index] = digits[Int(byte >> 4)]
                buffer[index + 1] = digits[Int(byte & 0x0F)]
                index += 2
            }
            return count
        }
    }

    /// The bytes `text` spells; it must start with `0x` unless `requirePrefix` is false, which makes the prefix optional.
    public static func decode(_ text: String, requirePrefix: Bool = true) throws(HexError) -> [UInt8] {
        let utf8 = text.utf8
        let hasPrefix = utf8.starts(with: "0x".utf8)
        if requirePrefix, !hasPrefix {
            throw HexError(.missingPrefix, column: 1, "'\(text)' does not start with '0x'")
        }
        let digitsStart = hasPrefix ? 2 : 0
        var contiguous = text
        let result = contiguous.withUTF8 { buffer in decodeDigits(UnsafeBufferPointer(rebasing: buffer[digitsStart...])) }
        if let result { return result }
        throw describeFailure(text, digitsStart: digitsStart)
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The bytes of an even run of hex digits, or nil when the run is odd or has a non-digit.
    private static func decodeDigits(_ ascii: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard ascii.count.isMultiple(of: 2) else { return nil }
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: ascii.count / 2) { output, initialized in
            for index in 0..<(ascii.count / 2) {
                guard let high = nibble(ascii[2 * index]), let low = nibble(ascii[2 * index + 1]) else {
                    failed = true
                    break
                }
                output[index] = high << 4 | low
                initialized = index + 1
            }
        }
        return failed ? nil : bytes
    }

    /// The value of one ASCII hex digit.
    @inline(__always)
    static func nibble(_ ascii: UInt8) -> UInt8? {
        switch ascii {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): ascii &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): ascii &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): ascii &- UInt8(ascii: "A") &+ 10
        default: nil
        }
    }

    /// The error for a text `decodeDigits` refused: its first non-digit (by scalar, so a combining mark counts), else its odd length.
    private static func describeFailure(_ text: String, digitsStart: Int) -> HexError {
        let scalars = text.unicodeScalars
        for index in scalars.indices.dropFirst(digitsStart) where !scalars[index].isASCII || nibble(UInt8(scalars[index].value)) == nil {
            let column = Substring(scalars[..<index]).count + 1
            return HexError(.invalidCharacter, column: column, "'\(scalars[index])' is not a hex digit")
        }
        let digitCount = text.utf8.count - digitsStart
        return HexError(.oddLength, column: text.count + 1, "'\(text)' has an odd number of hex digits (\(digitCount))")
    }
}
