/// Decimal text in whole token units scaled exactly to base units, for an amount with
/// `decimals`: `"1.5"` with 18 decimals is 1500000000000000000. Nothing is rounded: more
/// fractional digits than `decimals`, or a result beyond 128 bits, is an invalid value.
enum DecimalAmountParsing {
    static let maxDecimals = 38

    /// 10^0 ... 10^38, every one of which fits `Int128`.
    private static let powers: [Int128] = {
        var result: [Int128] = [1]
        for _ in 0..<maxDecimals { result.append(result.last! * 10) }
        return result
    }()

    /// Parses a raw value holding a number in token units with at most `decimals` fractional digits.
    static func parse(_ raw: RawValue, decimals: Int, side: String) -> Result<Value, InvalidValue> {
        switch raw {
        case .integer(let integer):
            return scaled(Int128(integer), by: decimals, shown: String(integer))
        case .text(let text), .decimal(let text):
            var text = text
            if let value = text.withUTF8({ fastParse($0, decimals: decimals) }) { return .success(.number(value)) }
            return slowParse(text, decimals: decimals, side: side)
        case .bool, .null:
            return AmountParsing.parse(raw, range: Int128.min...Int128.max, typeName: "an amount") // refused, in its words
        }
    }

    private static func scaled(_ value: Int128, by decimals: Int, shown: String) -> Result<Value, InvalidValue> {
        let (result, overflow) = value.multipliedReportingOverflow(by: powers[decimals])
        guard !overflow else { return .failure(tooLarge(shown, decimals: decimals)) }
        return .success(.number(result))
    }

    private static func tooLarge(_ text: String, decimals: Int) -> InvalidValue {
        InvalidValue("'\(text)' with \(decimals) decimals is beyond an amount's 128 bits (\(Int128.max) base units)")
    }

    /// `-?digits(.digits)?` with at most 38 significant digits in all: no overflow checks needed.
    private static func fastParse(_ bytes: UnsafeBufferPointer<UInt8>, decimals: Int) -> Int128? {
        var index = 0
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { index = 1 }
        var value: Int128 = 0
        var digits = 0
        var fraction = -1
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "."), fraction < 0, digits > 0 {
                fraction = 0
                continue
            }
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value &* 10 &+ Int128(digit)
            digits += 1
            if fraction >= 0 { fraction += 1 }
        }
        let fractional = max(fraction, 0)
        guard digits > 0, fraction != 0, fractional <= decimals, digits - fractional + decimals <= maxDecimals else { return nil }
        value = value &* powers[decimals - fractional]
        return negative ? -value : value
    }

    /// The careful path, with a message saying what is wrong.
    private static func slowParse(_ text: String, decimals: Int, side: String) -> Result<Value, InvalidValue> {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return .failure(InvalidValue("empty text is not a number")) }
        let negative = bytes[0] == UInt8(ascii: "-")
        let body = negative ? Array(bytes.dropFirst()) : bytes
        let parts = body.split(separator: UInt8(ascii: "."), maxSplits: 2, omittingEmptySubsequences: false)
        let isDigits = { (part: ArraySlice<UInt8>) in part.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }
        guard parts.count <= 2, parts.allSatisfy(isDigits) else {
            // Whitespace, a '+', hex or an exponent: the same words as for a whole amount.
            if parts.count == 1, case .failure(let error) = AmountParsing.parse(text), !error.reason.hasSuffix("is not a decimal integer") {
                return .failure(error)
            }
            return .failure(InvalidValue("'\(text)' is not a decimal number"))
        }
        let whole = parts[0]
        let fraction = parts.count == 2 ? parts[1] : []
        if whole.isEmpty {
            return .failure(InvalidValue(parts.count == 2 ? "'\(text)' needs a digit before the point; write \(negative ? "-0" : "0")\(text.drop { $0 == "-" })" : "'\(text)' is not a number"))
        }
        if parts.count == 2, fraction.isEmpty {
            return .failure(InvalidValue("'\(text)' has no digit after the point; write \(text.dropLast()) or add the digits"))
        }
        guard fraction.count <= decimals else {
            return .failure(InvalidValue("'\(text)' has \(fraction.count) fractional digit\(fraction.count == 1 ? "" : "s"); the rules declare \(decimals) decimals on the \(side) side"))
        }
        // Accumulated with its sign, so the most negative amount is reachable too.
        var value: Int128 = 0
        for byte in whole + fraction {
            let digit = Int128(byte - UInt8(ascii: "0"))
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            guard !overflow, !carry else { return .failure(tooLarge(text, decimals: decimals)) }
            value = sum
        }
        return scaled(value, by: decimals - fraction.count, shown: text)
    }
}
