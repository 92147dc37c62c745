/// `map: { chain value: enum value }`: translates the chain's code into the DB's enum.
public enum MapComparator: ComparatorPlugin {
    public static let description = PluginDescription<ComparatorExample>(
        identifier: "map",
        summary: "Translates the on-chain value through the mapping into one of the enum's 'values', then compares exactly.",
        passing: [
            ComparatorExample(field: #"{ type: enum, values: [pending, active], compare: { map: { "0": pending, "1": active } } }"#, db: "active", chain: 1),
            ComparatorExample(field: #"{ type: enum, values: [pending, active], compare: { map: { P: pending, A: active } } }"#, db: "pending", chain: "P"),
        ],
        failing: [
            ComparatorExample(field: #"{ type: enum, values: [pending, active], compare: { map: { "0": pending, "1": active } } }"#, db: "active", chain: 0),
        ]
    )

    public static func makeComparator(_ context: ComparatorContext) throws(PluginError) -> Comparator {
        let id = description.identifier
        guard let cases = context.fieldType.cases else { throw context.typeMismatch(id, needs: "an enum field") }
        let pairs = try context.requireParameter(id, example: #"{ "0": pending }"#).stringMap("map")
        var problems: [PluginError.Problem] = []
        var seen = Set<String>()
        for pair in pairs where !seen.insert(pair.key).inserted {
            problems.append(.init(code: .duplicateValue, message: "on-chain value '\(pair.key)' is mapped twice", location: pair.keyLocation))
        }
        for pair in pairs where !cases.contains(pair.value) {
            problems.append(.init(
                code: .enumMapValue,
                message: "map value '\(pair.value)' is not one of the values of field '\(context.fieldName)' (\(cases.joined(separator: ", ")))"
                    + Suggestion.hint(for: pair.value, in: cases),
                location: pair.location
            ))
        }
        guard problems.isEmpty else { throw PluginError(problems: problems) }
        let table = Dictionary(pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        let known = pairs.map(\.key).joined(separator: ", ")
        // Integer codes (the usual on-chain form) looked up without formatting them as text.
        var integers: [Int64: String] = [:]
        for (key, value) in table { if let code = Int64(key), String(code) == key { integers[code] = value } }
        let byInteger = integers
        var comparator = Comparator(
            summary: "mapped",
            chainParser: { raw in
                if case .integer(let code) = raw, let mapped = byInteger[code] { return .success(.text(mapped)) }
                guard let code = raw.displayText, raw != .null else { return .failure(InvalidValue("the value is null")) }
                guard let mapped = table[code] else { return .failure(InvalidValue("'\(code)' is not in the map (\(known))")) }
                return .success(.text(mapped))
            },
            matches: { $0 == $1 }
        )
        comparator.entries = pairs.map { ($0.key, $0.value) }
        return comparator
    }
}
