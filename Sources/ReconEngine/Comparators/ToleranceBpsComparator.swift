/// `tolerance_bps: N`: numbers within N basis points of the larger magnitude.
public enum ToleranceBpsComparator: ComparatorPlugin {
    public static let description = PluginDescription<ComparatorExample>(
        identifier: "tolerance_bps",
        summary: "Passes when |db - chain| x 10000 <= N x max(|db|, |chain|); N is in basis points (1 bps = 0.01%).",
        passing: [
            ComparatorExample(field: "{ type: amount, compare: { tolerance_bps: 10 } }", db: "1000000", chain: "1001000"),
            ComparatorExample(field: "{ type: amount, compare: { tolerance_bps: 1 } }", db: "0", chain: "0"),
            ComparatorExample(field: "{ type: amount, compare: { tolerance_bps: 10000 } }",
                              db: "170141183460469231731687303715884105727", chain: "0"),
        ],
        failing: [
            ComparatorExample(field: "{ type: amount, compare: { tolerance_bps: 10 } }", db: "1000000", chain: "1001002"),
            ComparatorExample(field: "{ type: amount, compare: { tolerance_bps: 9999 } }",
                              db: "170141183460469231731687303715884105727", chain: "0"),
            ComparatorExample(field: "{ type: amount, compare: { tolerance_bps: 10000 } }",
                              db: "-170141183460469231731687303715884105728", chain: "170141183460469231731687303715884105727"),
        ]
    )

    public static func makeComparator(_ context: ComparatorContext) throws(PluginError) -> Comparator {
        let id = description.identifier
        guard context.fieldType.isArithmetic else { throw context.typeMismatch(id, needs: "an arithmetic type (amount, integer)") }
        let bps = UInt128(try context.requireParameter(id, example: "10").integer("tolerance_bps", in: 0...Int128.max))
        return Comparator(summary: "within \(bps) bps") { db, chain in
            guard case .number(let a) = db, case .number(let b) = chain else { return db == chain }
            let lhs = Magnitude.distance(a, b).multipliedFullWidth(by: 10_000)
            let rhs = max(a.magnitude, b.magnitude).multipliedFullWidth(by: bps)
            return (lhs.high, lhs.low) <= (rhs.high, rhs.low)
        }
    }
}
