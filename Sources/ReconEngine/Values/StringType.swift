/// `string`: text compared as written.
public enum StringType: ValueTypePlugin {
    public static let description = PluginDescription<ValueTypeExample>(
        identifier: "string",
        summary: "Text, compared exactly as written; an integer is taken as its decimal text.",
        passing: [ValueTypeExample("USDC", rendered: "USDC"), ValueTypeExample(12, rendered: "12"), ValueTypeExample("", rendered: "")],
        failing: [ValueTypeExample(nil), ValueTypeExample(false)]
    )

    public static func makeType(_ context: ValueTypeContext) throws(PluginError) -> FieldType {
        FieldType(
            identifier: description.identifier,
            kind: .text,
            parse: { raw in
                switch raw {
                case .text(let text), .decimal(let text): .success(.text(text))
                case .integer(let integer): .success(.text(String(integer)))
                case .bool(let flag): .failure(InvalidValue("\(flag) is a boolean, not text"))
                case .null: .failure(InvalidValue("the value is null"))
                }
            },
            render: AmountParsing.render
        )
    }
}
