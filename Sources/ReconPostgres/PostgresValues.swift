import NIOCore
import PostgresNIO
import ReconEngine

/// The column types streamrecon reads, and how each binary value becomes a `RawValue`, exactly:
/// `numeric` as its decimal text (whole numbers as text an amount parses, others as `.decimal`),
/// timestamps as Unix seconds, `bytea` as `0x…` hex, `uuid` in its canonical text.
enum PostgresColumnKind: Sendable, Equatable {
    case text, bool, integer, numeric, timestamp, bytea, uuid

    /// The kind of a column of type `oid` (a domain's base type), or of an enum (read as its label).
    init?(oid: UInt32, isEnum: Bool) {
        if isEnum {
            self = .text
            return
        }
        switch oid {
        case 25, 1043, 1042, 19: self = .text // text, varchar, bpchar, name
        case 16: self = .bool
        case 20, 21, 23: self = .integer // int8, int2, int4
        case 1700: self = .numeric
        case 1114, 1184: self = .timestamp // timestamp, timestamptz
        case 17: self = .bytea
        case 2950: self = .uuid
        default: return nil
        }
    }

    static let supportedNames = "text, varchar, char, numeric, int2, int4, int8, bool, timestamptz, timestamp, bytea, uuid and enum types"

    /// The value of one binary cell; nil bytes is SQL NULL. Returns nil when the bytes are not
    /// what the type's binary format holds.
    func raw(_ bytes: ByteBuffer?) -> RawValue? {
        guard var buffer = bytes else { return .null }
        switch self {
        case .text:
            return .text(buffer.readString(length: buffer.readableBytes) ?? "")
        case .bool:
            guard buffer.readableBytes == 1, let byte = buffer.readInteger(as: UInt8.self) else { return nil }
            return .bool(byte != 0)
        case .integer:
            switch buffer.readableBytes {
            case 2: return buffer.readInteger(endianness: .big, as: Int16.self).map { .integer(Int64($0)) }
            case 4: return buffer.readInteger(endianness: .big, as: Int32.self).map { .integer(Int64($0)) }
            case 8: return buffer.readInteger(endianness: .big, as: Int64.self).map { .integer($0) }
            default: return nil
            }
        case .numeric:
            if let integer = Self.numericInteger(buffer) { return .integer(integer) }
            guard let (text, whole) = Self.numericText(&buffer) else { return nil }
            return whole ? .text(text) : .decimal(text)
        case .timestamp:
            guard buffer.readableBytes == 8, let micros = buffer.readInteger(endianness: .big, as: Int64.self) else { return nil }
            return Self.unixSeconds(micros: micros)
        case .bytea:
            var hex = "0x"
            hex.reserveCapacity(2 + buffer.readableBytes * 2)
            for byte in buffer.readableBytesView {
                hex.append(Self.hexDigits[Int(byte >> 4)])
                hex.append(Self.hexDigits[Int(byte & 0x0F)])
            }
            return .text(hex)
        case .uuid:
            guard buffer.readableBytes == 16 else { return nil }
            var text = ""
            for (index, byte) in buffer.readableBytesView.enumerated() {
                if [4, 6, 8, 10].contains(index) { text.append("-") }
                text.append(Self.hexDigits[Int(byte >> 4)])
                text.append(Self.hexDigits[Int(byte & 0x0F)])
            }
            return .text(text)
        }
    }

    private static let hexDigits = Array("0123456789abcdef")

    /// A `numeric` without decimals that fits 64 bits, read without text (most amounts): nil for
    /// any other, which `numericText` reads.
    static func numericInteger(_ buffer: ByteBuffer) -> Int64? {
        buffer.withUnsafeReadableBytes { bytes -> Int64? in
            func int16(_ offset: Int) -> Int16 { Int16(bitPattern: UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])) }
            guard bytes.count >= 8 else { return nil }
            let (count, weight, sign, scale) = (int16(0), int16(2), UInt16(bitPattern: int16(4)), int16(6))
            guard scale == 0, sign == 0 || sign == 0x4000, count >= 0, weight < 5, count <= weight + 1, bytes.count == 8 + Int(count) * 2
            else { return nil }
            if count == 0 { return 0 }
            guard weight >= 0 else { return nil }
            var value: Int64 = 0
            for index in 0...Int(weight) {
                let digit = index < Int(count) ? Int64(int16(8 + index * 2)) : 0
                guard (0..<10_000).contains(digit) else { return nil }
                let (scaled, overflow) = value.multipliedReportingOverflow(by: 10_000)
                let (sum, carry) = scaled.addingReportingOverflow(digit)
                guard !overflow, !carry else { return nil }
                value = sum
            }
            return sign == 0x4000 ? -value : value
        }
    }

    /// `numeric`'s binary form (digit count, weight, sign, display scale, then base-10000
    /// digits) as exact decimal text with the column's scale, and whether it is a whole number
    /// written without decimals: `-0.000000000000000001`,
    /// `115792089237316195423570985008687907853269984665640564039457584007913129639935`.
    static func numericText(_ buffer: inout ByteBuffer) -> (text: String, whole: Bool)? {
        guard let count = buffer.readInteger(endianness: .big, as: Int16.self),
              let weight = buffer.readInteger(endianness: .big, as: Int16.self),
              let sign = buffer.readInteger(endianness: .big, as: UInt16.self),
              let scale = buffer.readInteger(endianness: .big, as: Int16.self), count >= 0, scale >= 0,
              buffer.readableBytes == Int(count) * 2
        else { return nil }
        switch sign {
        case 0xC000: return ("NaN", false)
        case 0xD000: return ("Infinity", false)
        case 0xF000: return ("-Infinity", false)
        case 0x0000, 0x4000: break
        default: return nil
        }
        let start = buffer.readerIndex
        func digit(_ index: Int) -> Int {
            guard index >= 0, index < Int(count) else { return 0 }
            return Int(buffer.getInteger(at: start + index * 2, endianness: .big, as: Int16.self) ?? 0)
        }
        for index in 0..<Int(count) where !(0..<10_000).contains(digit(index)) { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(max(Int(weight) + 1, 1) * 4 + Int(scale) + 6)
        if sign == 0x4000, (0..<Int(count)).contains(where: { digit($0) != 0 }) { out.append(UInt8(ascii: "-")) }
        func group(_ value: Int, leadingZeros: Bool) {
            var divisor = 1000
            var started = leadingZeros
            while divisor > 0 {
                let figure = value / divisor % 10
                if started || figure != 0 || divisor == 1 {
                    out.append(UInt8(ascii: "0") + UInt8(figure))
                    started = true
                }
                divisor /= 10
            }
        }
        if weight < 0 {
            out.append(UInt8(ascii: "0"))
        } else {
            group(digit(0), leadingZeros: false)
            for index in stride(from: 1, through: Int(weight), by: 1) { group(digit(index), leadingZeros: true) }
        }
        if scale > 0 {
            out.append(UInt8(ascii: "."))
            let fractionStart = out.count
            var index = Int(weight) + 1
            while out.count - fractionStart < Int(scale) {
                group(digit(index), leadingZeros: true)
                index += 1
            }
            out.removeLast(out.count - fractionStart - Int(scale))
        }
        buffer.moveReaderIndex(forwardBy: Int(count) * 2)
        return (String(decoding: out, as: UTF8.self), scale == 0)
    }

    /// Microseconds since 2000-01-01T00:00:00Z as Unix seconds: whole seconds as an integer,
    /// others as their exact decimal text (which the timestamp type refuses, saying so).
    static func unixSeconds(micros: Int64) -> RawValue {
        if micros == .max { return .text("infinity") }
        if micros == .min { return .text("-infinity") }
        let total = Int128(micros) + 946_684_800 * 1_000_000
        let (seconds, fraction) = total.magnitude.quotientAndRemainder(dividingBy: 1_000_000)
        guard fraction != 0 else { return .integer(Int64(total / 1_000_000)) }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 6 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return .decimal((total < 0 ? "-" : "") + "\(seconds).\(digits)")
    }
}
