/// `tolerance: N`: numbers within N base units of each other.
public enum ToleranceComparator: ComparatorPlugin {
    public static let isBound = true

    public static let description = PluginDescription<ComparatorExample>(
        identifier: "tolerance",
        summary: "Passes when |db - chain| <= N, in the field's base units (or seconds for timestamps); combined with tolerance_bps, when either holds.",
        passing: [
            ComparatorExample(field: "{ type: amount, compare: { tolerance: 5 } }", db: "100", chain: "105"),
            ComparatorExample(field: "{ type: timestamp, compare: { tolerance: 60 } }", db: 1_700_000_000, chain: 1_700_000_060),
            ComparatorExample(field: "{ type: amount, compare: { tolerance: 5, tolerance_bps: 10 } }", db: "100000", chain: "100100"),
            ComparatorExample(field: "{ type: amount, compare: { tolerance: 5, tolerance_bps: 10 } }", db: "100", chain: "105"),
            ComparatorExample(field: "{ type: amount, nullable: true, compare: { tolerance: 5 } }", db: nil, chain: nil),
        ],
        failing: [
            ComparatorExample(field: "{ type: amount, compare: { tolerance: 5 } }", db: "100", chain: "106"),
            ComparatorExample(field: "{ type: timestamp, compare: { tolerance: 60 } }", db: "2024-01-01T00:00:00Z", chain: "2024-01-01T00:01:01Z"),
            ComparatorExample(field: "{ type: amount, compare: { tolerance: 5, tolerance_bps: 10 } }", db: "100000", chain: "100101"),
            ComparatorExample(field: "{ type: amount, nullable: true, compare: { tolerance: 5 } }", db: nil, chain: "0"),
            ComparatorExample(field: "{ type: amount, compare: { tolerance: 0 } }",
                              db: "-170141183460469231731687303715884105728", chain: "170141183460469231731687303715884105727"),
        ]
    )

    public static func makeComparator(_ context: ComparatorContext) throws(PluginError) -> Comparator {
        let id = description.identifier
        guard context.fieldType.isNumber else { throw context.typeMismatch(id, needs: "a number type (amount, integer, timestamp)") }
        let limit = try context.requireParameter(id, example: "5").integer("tolerance", in: 0...Int128.max)
        let unit = context.fieldType.unit.map { " \($0)" } ?? ""
        var comparator = Comparator(summary: "within \(limit)\(unit)", bound: { _, _ in "the tolerance of \(limit)\(unit)" }) { db, chain in
            guard case .number(let a) = db, case .number(let b) = chain else { return db == chain }
            return Magnitude.distance(a, b) <= UInt128(limit)
        }
        comparator.limit = { _, _ in UInt128(limit) }
        return comparator
    }
}

/// Exact magnitudes of differences, which do not fit in `Int128` at the extremes.
enum Magnitude {
    static func distance(_ a: Int128, _ b: Int128) -> UInt128 {
        a >= b ? UInt128(bitPattern: a &- b) : UInt128(bitPattern: b &- a)
    }
}
