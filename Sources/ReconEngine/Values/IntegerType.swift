/// `integer`: a signed 64-bit count, such as a nonce or a number of periods.
public enum IntegerType: ValueTypePlugin {
    public static let description = PluginDescription<ValueTypeExample>(
        identifier: "integer",
        summary: "A signed 64-bit whole number, such as a count or an index; decimal digits only.",
        passing: [
            ValueTypeExample(7, rendered: "7"),
            ValueTypeExample("-9223372036854775808", rendered: "-9223372036854775808"),
            ValueTypeExample("9223372036854775807", rendered: "9223372036854775807"),
        ],
        failing: [ValueTypeExample("9223372036854775808"), ValueTypeExample("7.0"), ValueTypeExample("seven")]
    )

    public static func makeType(_ context: ValueTypeContext) throws(PluginError) -> FieldType {
        FieldType(
            identifier: description.identifier,
            kind: .number(arithmetic: true),
            parse: { AmountParsing.parse($0, range: Int128(Int64.min)...Int128(Int64.max), typeName: "an integer") },
            render: AmountParsing.render
        )
    }
}
