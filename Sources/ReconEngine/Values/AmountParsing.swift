/// Strict decimal integer parsing into `Int128`: digits with an optional leading `-`, nothing
/// else. No `+`, whitespace, hex, exponent or fraction is accepted; nothing is rounded.
enum AmountParsing {
    static func parse(_ text: String) -> Result<Int128, InvalidValue> {
        var text = text
        if let value = text.withUTF8({ fastParse($0) }) { return .success(value) }
        return slowParse(text)
    }

    /// Up to 38 digits with an optional `-`: always fits, so no overflow checks are needed.
    private static func fastParse(_ bytes: UnsafeBufferPointer<UInt8>) -> Int128? {
        let negative = bytes.first == UInt8(ascii: "-")
        let digits = negative ? UnsafeBufferPointer(rebasing: bytes.dropFirst()) : bytes
        guard !digits.isEmpty, digits.count <= 38 else { return nil }
        var value: Int128 = 0
        for byte in digits {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value &* 10 &+ Int128(digit)
        }
        return negative ? -value : value
    }

    private static func slowParse(_ text: String) -> Result<Int128, InvalidValue> {
        let utf8 = text.utf8
        guard let first = utf8.first else { return .failure(InvalidValue("empty text is not a number")) }
        if first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") || utf8.last == UInt8(ascii: " ")
            || utf8.last == UInt8(ascii: "\t") || utf8.last == UInt8(ascii: "\n") || first == UInt8(ascii: "\n") {
            return .failure(InvalidValue("'\(text)' has surrounding whitespace"))
        }
        if first == UInt8(ascii: "+") { return .failure(InvalidValue("'\(text)' has a leading '+'")) }
        let digits = first == UInt8(ascii: "-") ? utf8.dropFirst() : utf8[...]
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return .failure(InvalidValue(describeNonDecimal(text)))
        }
        guard let value = Int128(text) else {
            return .failure(InvalidValue("'\(text)' does not fit in a signed 128-bit integer"))
        }
        return .success(value)
    }

    private static func describeNonDecimal(_ text: String) -> String {
        let lower = text.lowercased()
        if lower.hasPrefix("0x") || lower.hasPrefix("-0x") { return "'\(text)' is hexadecimal; write it in decimal" }
        if lower.contains(".") { return "'\(text)' is not a whole number" }
        if lower.contains("e"), lower.allSatisfy({ "0123456789e-+".contains($0) }) {
            return "'\(text)' has an exponent; write every digit"
        }
        return "'\(text)' is not a decimal integer"
    }

    /// Parses a raw value as an integer in `range`; `typeName` names the type in messages.
    static func parse(_ raw: RawValue, range: ClosedRange<Int128>, typeName: String) -> Result<Value, InvalidValue> {
        let value: Int128
        switch raw {
        case .integer(let integer):
            value = Int128(integer)
        case .text(let text):
            switch parse(text) {
            case .success(let parsed): value = parsed
            case .failure(let error): return .failure(error)
            }
        case .decimal(let text):
            return .failure(InvalidValue("'\(text)' is not a whole number"))
        case .bool(let flag):
            return .failure(InvalidValue("\(flag) is a boolean, not \(typeName)"))
        case .null:
            return .failure(InvalidValue("the value is null"))
        }
        guard range.contains(value) else {
            return .failure(InvalidValue("\(value) does not fit \(typeName) (\(range.lowerBound)...\(range.upperBound))"))
        }
        return .success(.number(value))
    }

    static func render(_ value: Value) -> String {
        switch value {
        case .number(let number): String(number)
        case .text(let text): text
        case .bool(let flag): String(flag)
        case .null: "null"
        }
    }
}
