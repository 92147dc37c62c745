/// `amount`: a signed integer in a token's base units, exact over the full 128-bit range.
public enum AmountType: ValueTypePlugin {
    public static let description = PluginDescription<ValueTypeExample>(
        identifier: "amount",
        summary: "A signed integer in base units, exact over the whole signed 128-bit range; decimal digits only, or token units scaled by 'decimals'.",
        passing: [
            ValueTypeExample("1000000", rendered: "1000000"),
            ValueTypeExample(42, rendered: "42"),
            ValueTypeExample("-170141183460469231731687303715884105728", rendered: "-170141183460469231731687303715884105728"),
            ValueTypeExample("170141183460469231731687303715884105727", rendered: "170141183460469231731687303715884105727"),
            ValueTypeExample("-0", rendered: "0"),
            ValueTypeExample("1.5", parameters: "decimals: { db: 18, chain: 18 }", rendered: "1500000000000000000"),
            ValueTypeExample(.decimal("-0.000001"), parameters: "decimals: { db: 6, chain: 6 }", rendered: "-1"),
            ValueTypeExample(2, parameters: "decimals: { db: 6, chain: 6 }", rendered: "2000000"),
        ],
        failing: [
            ValueTypeExample("170141183460469231731687303715884105728"),
            ValueTypeExample("-170141183460469231731687303715884105729"),
            ValueTypeExample("+5"), ValueTypeExample(" 5"), ValueTypeExample("5 "), ValueTypeExample("0x10"),
            ValueTypeExample("1e6"), ValueTypeExample("1.5"), ValueTypeExample(.decimal("2.0")),
            ValueTypeExample(""), ValueTypeExample("-"), ValueTypeExample("12x"), ValueTypeExample(nil), ValueTypeExample(true),
            ValueTypeExample("1.0000001", parameters: "decimals: { db: 6, chain: 6 }"), ValueTypeExample(".5", parameters: "decimals: { db: 6, chain: 6 }"),
            ValueTypeExample("1.", parameters: "decimals: { db: 6, chain: 6 }"), ValueTypeExample("1e6", parameters: "decimals: { db: 6, chain: 6 }"),
            ValueTypeExample("170141183460469231731.687303715884105728", parameters: "decimals: { db: 18, chain: 18 }"),
        ]
    )

    /// `decimals: { db: N, chain: M }`: the side holds whole token units with at most N fractional digits.
    public static let parameterKeys = ["decimals"]

    public static func makeType(_ context: ValueTypeContext) throws(PluginError) -> FieldType {
        var decimals: [Side: Int] = [:]
        if let parameter = context.parameters["decimals"] {
            let example = "{ db: 18 } or { db: 18, chain: 0 }"
            for (key, value) in try parameter.mapping("'decimals' of field '\(context.fieldName)'", allowed: ["db", "chain"], example: example) {
                let bound = Int128(DecimalAmountParsing.maxDecimals)
                decimals[Side(rawValue: key)!] = Int(try value.integer("'decimals' \(key) of field '\(context.fieldName)'", in: 0...bound))
            }
        }
        func parser(_ side: Side) -> ValueParser {
            guard let places = decimals[side] else { return { AmountParsing.parse($0, range: Int128.min...Int128.max, typeName: "an amount") } }
            let name = side == .db ? "DB" : "chain"
            return { DecimalAmountParsing.parse($0, decimals: places, side: name) }
        }
        return FieldType(identifier: description.identifier, kind: .number(arithmetic: true), parse: parser(.db), chainParse: parser(.chain),
                         render: AmountParsing.render)
    }
}
