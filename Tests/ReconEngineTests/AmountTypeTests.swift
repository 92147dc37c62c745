import ReconEngine
import Testing

/// Parsing amounts at the edges, through the compiled `amount` type.
struct AmountTypeTests {
    let amount: FieldType

    init() throws {
        amount = try compile(rules(fields: "  v: { type: amount }")).fields[0].type
    }

    func parsed(_ raw: RawValue) -> String? {
        if case .success(let value) = amount.parse(raw) { amount.render(value) } else { nil }
    }

    func parsed(_ text: String) -> String? { parsed(.text(text)) }

    func reason(_ text: String) -> String? { reason(.text(text)) }

    func reason(_ raw: RawValue) -> String? {
        if case .failure(let error) = amount.parse(raw) { error.reason } else { nil }
    }

    @Test func holdsTheFullSigned128BitRange() {
        #expect(parsed("170141183460469231731687303715884105727") == "170141183460469231731687303715884105727")
        #expect(parsed("-170141183460469231731687303715884105728") == "-170141183460469231731687303715884105728")
        #expect(parsed(.integer(.max)) == "9223372036854775807")
        #expect(parsed(.integer(.min)) == "-9223372036854775808")
    }

    @Test func refusesOnePastEitherEnd() {
        #expect(reason("170141183460469231731687303715884105728") == "'170141183460469231731687303715884105728' does not fit in a signed 128-bit integer")
        #expect(reason("-170141183460469231731687303715884105729") == "'-170141183460469231731687303715884105729' does not fit in a signed 128-bit integer")
        #expect(reason("1" + String(repeating: "0", count: 60)) != nil)
    }

    @Test func readsNegativeZeroAsZero() {
        #expect(parsed("-0") == "0")
        #expect(parsed("0") == "0")
        #expect(parsed("007") == "7")
    }

    @Test func refusesAnythingButDecimalDigits() {
        #expect(reason("+5") == "'+5' has a leading '+'")
        #expect(reason(" 5") == "' 5' has surrounding whitespace")
        #expect(reason("5\n") == "'5\n' has surrounding whitespace")
        #expect(reason("0x1f") == "'0x1f' is hexadecimal; write it in decimal")
        #expect(reason("1e6") == "'1e6' has an exponent; write every digit")
        #expect(reason("1E+6") == "'1E+6' has an exponent; write every digit")
        #expect(reason("1.0") == "'1.0' is not a whole number")
        #expect(reason(.decimal("2.5")) == "'2.5' is not a whole number")
        #expect(reason("") == "empty text is not a number")
        #expect(reason("-") == "'-' is not a decimal integer")
        #expect(reason("--5") == "'--5' is not a decimal integer")
        #expect(reason("1_000") == "'1_000' is not a decimal integer")
        #expect(reason("١٢") == "'١٢' is not a decimal integer")
        #expect(reason(nil) == "the value is null")
        #expect(reason(true) == "true is a boolean, not an amount")
    }

    @Test func integerTypeIsSixtyFourBit() throws {
        let integer = try compile(rules(fields: "  v: { type: integer }")).fields[0].type
        #expect(throws: Never.self) { try integer.parse(.text("9223372036854775807")).get() }
        guard case .failure(let error) = integer.parse(.text("9223372036854775808")) else {
            Issue.record("9223372036854775808 parsed as an integer")
            return
        }
        #expect(error.reason == "9223372036854775808 does not fit an integer (-9223372036854775808...9223372036854775807)")
    }
}
