/// `bool`: true or false, from a boolean, 0/1, or the words.
public enum BoolType: ValueTypePlugin {
    public static let description = PluginDescription<ValueTypeExample>(
        identifier: "bool",
        summary: "A boolean: true or false, 1 or 0, or the text 'true', 'false', '1', '0'.",
        passing: [
            ValueTypeExample(true, rendered: "true"), ValueTypeExample(0, rendered: "false"),
            ValueTypeExample("true", rendered: "true"), ValueTypeExample("0", rendered: "false"),
        ],
        failing: [ValueTypeExample(2), ValueTypeExample("yes"), ValueTypeExample(nil)]
    )

    public static func makeType(_ context: ValueTypeContext) throws(PluginError) -> FieldType {
        FieldType(
            identifier: description.identifier,
            kind: .bool,
            parse: { raw in
                switch raw {
                case .bool(let flag): return .success(.bool(flag))
                case .integer(0), .text("0"), .text("false"): return .success(.bool(false))
                case .integer(1), .text("1"), .text("true"): return .success(.bool(true))
                case .null: return .failure(InvalidValue("the value is null"))
                default: return .failure(InvalidValue("'\(raw.displayText ?? "")' is not a boolean (true, false, 1 or 0)"))
                }
            },
            render: AmountParsing.render
        )
    }
}
