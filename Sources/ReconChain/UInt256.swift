/// An unsigned 256-bit integer, the EVM's word: two 128-bit halves, with checked conversions that never wrap.
public struct UInt256: Sendable, Hashable, Comparable, CustomStringConvertible, LosslessStringConvertible, ExpressibleByIntegerLiteral {
    /// The most significant 128 bits.
    public var high: UInt128
    /// The least significant 128 bits.
    public var low: UInt128

    /// 0.
    public static let zero = UInt256(high: 0, low: 0)
    /// 2²⁵⁶ − 1.
    public static let max = UInt256(high: .max, low: .max)

    /// The value `high · 2¹²⁸ + low`.
    public init(high: UInt128, low: UInt128) {
        self.high = high
        self.low = low
    }

    /// `value`, widened.
    public init(_ value: UInt128) {
        self.init(high: 0, low: value)
    }

    /// `value`, widened.
    public init(_ value: UInt64) {
        self.init(high: 0, low: UInt128(value))
    }

    public init(integerLiteral value: UInt128) {
        self.init(value)
    }

    /// The value of up to 32 big-endian bytes (fewer are left-padded with zeros); nil for more than 32.
    public init?(bigEndianBytes bytes: some Collection<UInt8>) {
        guard bytes.count <= 32 else { return nil }
        if bytes.count == 32, let word = bytes.withContiguousStorageIfAvailable({ UInt256(word: UnsafeRawBufferPointer($0)) }) {
            self = word
            return
        }
        self = withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { word in
            word.initializeMemory(as: UInt8.self, repeating: 0)
            UnsafeMutableRawBufferPointer(rebasing: word[(32 - bytes.count)...]).copyBytes(from: bytes)
            return UInt256(word: UnsafeRawBufferPointer(word))
        }
    }

    /// The value of exactly 32 big-endian bytes, read as four 64-bit loads.
    init(word: UnsafeRawBufferPointer) {
        func load(_ index: Int) -> UInt128 { UInt128(UInt64(bigEndian: word.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self))) }
        self.init(high: load(0) &<< 64 | load(1), low: load(2) &<< 64 | load(3))
    }

    /// The value of a decimal text of ASCII digits only (no sign, no separators); nil if it is not one or exceeds `max`.
    public init?(_ text: String) {
        guard !text.isEmpty else { return nil }
        var value = UInt256.zero
        for ascii in text.utf8 {
            guard ascii >= UInt8(ascii: "0"), ascii <= UInt8(ascii: "9") else { return nil }
            let (product, overflowed) = value.multipliedReportingOverflow(by: 10)
            guard !overflowed else { return nil }
            let (sum, carried) = product.addingReportingOverflow(UInt256(UInt64(ascii - UInt8(ascii: "0"))))
            guard !carried else { return nil }
            value = sum
        }
        self = value
    }

    /// The 32 big-endian bytes of the word.
    public var bigEndianBytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { buffer, initialized in
            for index in 0..<16 {
                buffer[index] = UInt8(truncatingIfNeeded: high &>> (120 - 8 * index))
                buffer[16 + index] = UInt8(truncatingIfNeeded: low &>> (120 - 8 * index))
            }
            initialized = 32
        }
    }

    /// The number of leading zero bits, 256 for zero.
    public var leadingZeroBitCount: Int {
        high == 0 ? 128 + low.leadingZeroBitCount : high.leadingZeroBitCount
    }

    /// True when the value fits in `bits` unsigned bits.
    public func fits(bits: Int) -> Bool {
        leadingZeroBitCount >= 256 - bits
    }

    /// The decimal digits of the value.
    public var description: String {
        if high == 0 { return low.description }
        // Peel off 19 decimal digits at a time: 10¹⁹ is the largest power of ten below 2⁶⁴.
        let chunk: UInt64 = 10_000_000_000_000_000_000
        var chunks: [UInt64] = []
        var rest = self
        while rest.high != 0 {
            let (quotient, remainder) = rest.quotientAndRemainder(dividingBy: chunk)
            chunks.append(remainder)
            rest = quotient
        }
        var text = rest.low.description
        for part in chunks.reversed() {
            let digits = part.description
            text += String(repeating: "0", count: 19 - digits.count) + digits
        }
        return text
    }

    /// A JSON-RPC quantity: `0x` and hex digits without leading zeros (`0x0`, `0x1b4`); nil for anything else or past `max`.
    public init?(hexQuantity text: String) {
        guard text.utf8.starts(with: "0x".utf8) else { return nil }
        let digits = text.utf8.dropFirst(2)
        guard let first = digits.first, digits.count <= 64, first != UInt8(ascii: "0") || digits.count == 1 else { return nil }
        var value = UInt256.zero
        for ascii in digits {
            guard let nibble = Hex.nibble(ascii) else { return nil }
            value.high = value.high &<< 4 | value.low &>> 124
            value.low = value.low &<< 4 | UInt128(nibble)
        }
        self = value
    }

    /// The value as a JSON-RPC quantity: `0x` and hex digits without leading zeros.
    public var hexQuantity: String {
        if high == 0 { return "0x" + String(low, radix: 16) }
        let lowDigits = String(low, radix: 16)
        return "0x" + String(high, radix: 16) + String(repeating: "0", count: 32 - lowDigits.count) + lowDigits
    }

    public static func < (lhs: UInt256, rhs: UInt256) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// `self + other` modulo 2²⁵⁶, and whether it wrapped.
    public func addingReportingOverflow(_ other: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        let (low, carry) = low.addingReportingOverflow(other.low)
        let (high1, overflow1) = high.addingReportingOverflow(other.high)
        let (high2, overflow2) = high1.addingReportingOverflow(carry ? 1 : 0)
        return (UInt256(high: high2, low: low), overflow1 || overflow2)
    }

    /// `self − other` modulo 2²⁵⁶, and whether it wrapped (other was larger).
    public func subtractingReportingOverflow(_ other: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        let (low, borrow) = low.subtractingReportingOverflow(other.low)
        let (high1, overflow1) = high.subtractingReportingOverflow(other.high)
        let (high2, overflow2) = high1.subtractingReportingOverflow(borrow ? 1 : 0)
        return (UInt256(high: high2, low: low), overflow1 || overflow2)
    }

    /// `self × factor` modulo 2²⁵⁶, and whether it wrapped.
    public func multipliedReportingOverflow(by factor: UInt64) -> (partialValue: UInt256, overflow: Bool) {
        let lowProduct = low.multipliedFullWidth(by: UInt128(factor))
        let highProduct = high.multipliedFullWidth(by: UInt128(factor))
        let (high, carried) = highProduct.low.addingReportingOverflow(lowProduct.high)
        return (UInt256(high: high, low: lowProduct.low), highProduct.high != 0 || carried)
    }

    /// The quotient and remainder of dividing by a non-zero 64-bit divisor.
    public func quotientAndRemainder(dividingBy divisor: UInt64) -> (quotient: UInt256, remainder: UInt64) {
        precondition(divisor != 0, "division by zero")
        let wide = UInt128(divisor)
        let (highQuotient, highRemainder) = high.quotientAndRemainder(dividingBy: wide)
        let (lowQuotient, remainder) = wide.dividingFullWidth((high: highRemainder, low: low))
        return (UInt256(high: highQuotient, low: lowQuotient), UInt64(remainder))
    }

    /// The bitwise complement.
    public static prefix func ~ (value: UInt256) -> UInt256 {
        UInt256(high: ~value.high, low: ~value.low)
    }
}

extension UInt128 {
    /// `value` if it fits in 128 bits, else nil: never truncates.
    public init?(exactly value: UInt256) {
        guard value.high == 0 else { return nil }
        self = value.low
    }
}

extension Int128 {
    /// `value` if it fits in a signed 128-bit integer, else nil: never wraps.
    public init?(exactly value: UInt256) {
        guard value.high == 0, let narrowed = Int128(exactly: value.low) else { return nil }
        self = narrowed
    }
}

extension Int {
    /// `value` if it fits in an `Int`, else nil.
    public init?(exactly value: UInt256) {
        guard value.high == 0, let narrowed = Int(exactly: value.low) else { return nil }
        self = narrowed
    }
}
