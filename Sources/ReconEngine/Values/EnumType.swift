/// `enum`: one of a fixed list of names given in the field's `values:`.
public enum EnumType: ValueTypePlugin {
    public static let description = PluginDescription<ValueTypeExample>(
        identifier: "enum",
        summary: "One of the names listed in the field's 'values'; an integer is taken as its decimal text.",
        passing: [
            ValueTypeExample("active", parameters: "values: [pending, active]", rendered: "active"),
            ValueTypeExample(1, parameters: "values: ['0', '1']", rendered: "1"),
        ],
        failing: [
            ValueTypeExample("archived", parameters: "values: [pending, active]"),
            ValueTypeExample("Active", parameters: "values: [pending, active]"),
            ValueTypeExample(nil, parameters: "values: [pending, active]"),
        ]
    )

    public static let parameterKeys = ["values"]

    public static func makeType(_ context: ValueTypeContext) throws(PluginError) -> FieldType {
        guard let parameter = context.parameters["values"] else {
            throw PluginError(.missingKey, "field '\(context.fieldName)' of type 'enum' needs 'values', the list of accepted names", at: context.location)
        }
        let entries = try parameter.stringList("'values'")
        guard !entries.isEmpty else {
            throw PluginError(.invalidParameter, "'values' of field '\(context.fieldName)' is empty; list the accepted names", at: parameter.location)
        }
        var seen = Set<String>()
        var problems: [PluginError.Problem] = []
        for entry in entries where entry.value.isEmpty {
            problems.append(.init(code: .invalidParameter, message: "an entry of 'values' is empty; name each value", location: entry.location))
        }
        for entry in entries where !seen.insert(entry.value).inserted {
            problems.append(.init(code: .duplicateValue, message: "'\(entry.value)' is listed twice in 'values'", location: entry.location))
        }
        guard problems.isEmpty else { throw PluginError(problems: problems) }
        let cases = entries.map(\.value)
        let accepted = seen
        let listed = cases.joined(separator: ", ")
        return FieldType(
            identifier: description.identifier,
            kind: .text,
            cases: cases,
            parse: { raw in
                let text: String
                switch raw {
                case .text(let value): text = value
                case .integer(let value): text = String(value)
                case .null: return .failure(InvalidValue("the value is null"))
                case .bool, .decimal: return .failure(InvalidValue("'\(raw.displayText ?? "")' is not one of \(listed)"))
                }
                // A short list is faster to scan than to hash into.
                let known = cases.count <= 8 ? cases.contains(text) : accepted.contains(text)
                return known ? .success(.text(text)) : .failure(InvalidValue("'\(text)' is not one of \(listed)"))
            },
            render: AmountParsing.render
        )
    }
}
