/// `amount`: a signed integer in a token's base units, exact over the full 128-bit range.
public enum AmountType: ValueTypePlugin {
    public static let description = PluginDescription<ValueTypeExample>(
        identifier: "amount",
        summary: "A signed integer in base units, exact over the whole signed 128-bit range; decimal digits only.",
        passing: [
            ValueTypeExample("1000000", rendered: "1000000"),
            ValueTypeExample(42, rendered: "42"),
            ValueTypeExample("-170141183460469231731687303715884105728", rendered: "-170141183460469231731687303715884105728"),
            ValueTypeExample("170141183460469231731687303715884105727", rendered: "170141183460469231731687303715884105727"),
            ValueTypeExample("-0", rendered: "0"),
        ],
        failing: [
            ValueTypeExample("170141183460469231731687303715884105728"),
            ValueTypeExample("-170141183460469231731687303715884105729"),
            ValueTypeExample("+5"), ValueTypeExample(" 5"), ValueTypeExample("5 "), ValueTypeExample("0x10"),
            ValueTypeExample("1e6"), ValueTypeExample("1.5"), ValueTypeExample(.decimal("2.0")),
            ValueTypeExample(""), ValueTypeExample("-"), ValueTypeExample("12x"), ValueTypeExample(nil), ValueTypeExample(true),
        ]
    )

    public static func makeType(_ context: ValueTypeContext) throws(PluginError) -> FieldType {
        FieldType(
            identifier: description.identifier,
            kind: .number(arithmetic: true),
            parse: { AmountParsing.parse($0, range: Int128.min...Int128.max, typeName: "an amount") },
            render: AmountParsing.render
        )
    }
}
