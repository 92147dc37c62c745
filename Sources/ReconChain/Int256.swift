/// A signed 256-bit integer in two's complement, the EVM's `int256`: a `UInt256` bit pattern read with a sign.
public struct Int256: Sendable, Hashable, Comparable, CustomStringConvertible, LosslessStringConvertible, ExpressibleByIntegerLiteral {
    /// The two's-complement bits.
    public var bitPattern: UInt256

    /// 0.
    public static let zero = Int256(bitPattern: .zero)
    /// 2²⁵⁵ − 1.
    public static let max = Int256(bitPattern: UInt256(high: UInt128(Int128.max), low: .max))
    /// −2²⁵⁵.
    public static let min = Int256(bitPattern: UInt256(high: UInt128(1) << 127, low: 0))

    /// The value whose two's-complement bits are `bitPattern`.
    public init(bitPattern: UInt256) {
        self.bitPattern = bitPattern
    }

    /// `value`, sign-extended.
    public init(_ value: Int128) {
        let low = UInt128(bitPattern: value)
        self.init(bitPattern: UInt256(high: value < 0 ? .max : 0, low: low))
    }

    public init(integerLiteral value: Int128) {
        self.init(value)
    }

    /// The value of an optionally `-`-signed decimal text of ASCII digits; nil if it is not one or is out of range.
    public init?(_ text: String) {
        let negative = text.hasPrefix("-")
        guard let magnitude = UInt256(negative ? String(text.dropFirst()) : text) else { return nil }
        guard let value = Int256(negative: negative, magnitude: magnitude) else { return nil }
        self = value
    }

    /// `−magnitude` when `negative`, else `magnitude`; nil when out of range.
    public init?(negative: Bool, magnitude: UInt256) {
        let limit = Int256.min.bitPattern  // 2²⁵⁵, the largest magnitude, reachable only below zero
        guard magnitude < limit || (negative && magnitude == limit) else { return nil }
        self.init(bitPattern: negative ? Int256.negated(magnitude) : magnitude)
    }

    /// True below zero.
    public var isNegative: Bool { bitPattern.high >> 127 == 1 }

    /// The absolute value, which always fits (|min| = 2²⁵⁵).
    public var magnitude: UInt256 { isNegative ? Int256.negated(bitPattern) : bitPattern }

    /// True when the value fits in a signed `bits`-bit integer (sign extension of the low `bits`).
    public func fits(bits: Int) -> Bool {
        let pattern = isNegative ? ~bitPattern : bitPattern
        return pattern.leadingZeroBitCount >= 257 - bits
    }

    /// Decimal, with a leading `-` below zero.
    public var description: String { isNegative ? "-\(magnitude)" : magnitude.description }

    public static func < (lhs: Int256, rhs: Int256) -> Bool {
        lhs.isNegative == rhs.isNegative ? lhs.bitPattern < rhs.bitPattern : lhs.isNegative
    }

    /// Two's-complement negation modulo 2²⁵⁶.
    private static func negated(_ value: UInt256) -> UInt256 {
        (~value).addingReportingOverflow(UInt256(1)).partialValue
    }
}

extension Int128 {
    /// `value` if it fits in a signed 128-bit integer, else nil: never wraps.
    public init?(exactly value: Int256) {
        guard value.fits(bits: 128) else { return nil }
        self.init(bitPattern: value.bitPattern.low)
    }
}

extension UInt128 {
    /// `value` if it is non-negative and fits in 128 bits, else nil.
    public init?(exactly value: Int256) {
        guard !value.isNegative else { return nil }
        self.init(exactly: value.bitPattern)
    }
}
