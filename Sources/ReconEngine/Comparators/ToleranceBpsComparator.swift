/// `tolerance_bps: N`: numbers within N basis points of the larger magnitude.
public enum ToleranceBpsComparator: ComparatorPlugin {
    public static let isBound = true

    public static let description = PluginDescription<ComparatorExample>(
        identifier: "tolerance_bps",
        summary: "Passes when |db - chain| x 10000 <= N x max(|db|, |chain|); N is in basis points (1 bps = 0.01%); combined with tolerance, when either holds.",
        passing: [
            ComparatorExample(field: "{ type: amount, compare: { tolerance_bps: 10 } }", db: "1000000", chain: "1001000"),
            ComparatorExample(field: "{ type: amount, compare: { tolerance_bps: 1 } }", db: "0", chain: "0"),
            ComparatorExample(field: "{ type: amount, compare: { tolerance_bps: 10000 } }",
                              db: "170141183460469231731687303715884105727", chain: "0"),
            ComparatorExample(field: "{ type: amount, compare: { tolerance_bps: 10, tolerance: 5 } }", db: "1000", chain: "1005"),
        ],
        failing: [
            ComparatorExample(field: "{ type: amount, compare: { tolerance_bps: 10 } }", db: "1000000", chain: "1001002"),
            ComparatorExample(field: "{ type: amount, compare: { tolerance_bps: 9999 } }",
                              db: "170141183460469231731687303715884105727", chain: "0"),
            ComparatorExample(field: "{ type: amount, compare: { tolerance_bps: 10000 } }",
                              db: "-170141183460469231731687303715884105728", chain: "170141183460469231731687303715884105727"),
            ComparatorExample(field: "{ type: amount, compare: { tolerance_bps: 10, tolerance: 5 } }", db: "1000", chain: "1006"),
        ]
    )

    public static func makeComparator(_ context: ComparatorContext) throws(PluginError) -> Comparator {
        let id = description.identifier
        guard context.fieldType.isArithmetic else { throw context.typeMismatch(id, needs: "an arithmetic type (amount, integer)") }
        let bps = UInt128(try context.requireParameter(id, example: "10").integer("tolerance_bps", in: 0...Int128.max))
        var comparator = Comparator(summary: "within \(bps) bps", bound: { db, chain in
            // bps x max / 10000 is exact with four decimals; it fits 128 bits whenever a pair fails.
            let product = max(db.magnitude, chain.magnitude).multipliedFullWidth(by: bps)
            guard product.high < 10_000 else { return "the tolerance of \(bps) bps" }
            let (quotient, remainder) = UInt128(10_000).dividingFullWidth(product)
            let fraction = remainder == 0 ? "" : "." + String(String(remainder + 10_000).dropFirst()).replacing(/0+$/, with: "")
            return "the tolerance of \(bps) bps (\(quotient)\(fraction) of \(max(db.magnitude, chain.magnitude)))"
        }) { db, chain in
            guard case .number(let a) = db, case .number(let b) = chain else { return db == chain }
            let lhs = Magnitude.distance(a, b).multipliedFullWidth(by: 10_000)
            let rhs = max(a.magnitude, b.magnitude).multipliedFullWidth(by: bps)
            return (lhs.high, lhs.low) <= (rhs.high, rhs.low)
        }
        // What the bound allows at these values: floor(bps x max(|db|, |chain|) / 10000), when it fits.
        comparator.limit = { db, chain in
            let product = max(db.magnitude, chain.magnitude).multipliedFullWidth(by: bps)
            guard product.high < 10_000 else { return nil }
            return UInt128(10_000).dividingFullWidth(product).quotient
        }
        return comparator
    }
}
