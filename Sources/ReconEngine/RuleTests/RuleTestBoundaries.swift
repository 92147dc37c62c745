/// `rules test --boundaries`: for every field with a bound (`tolerance`, `tolerance_bps`), pairs
/// exactly at the bound its parameters declare and one base unit past it, above and below each
/// DB value the cases use, checked through the compiled comparison; for every `map` entry, the
/// entry's on-chain value against the DB value it names. A bound whose comparison drifts from
/// what its parameters say (or an edit that moves it) then fails or changes the output.
extension RuleTestRunner {
    /// DB values per field tried at most: a few keep the output readable.
    static let boundaryValues = 3

    func boundaries(_ file: RuleTestFile) -> [CaseResult] {
        let ruleSet = file.ruleSet
        let location = TextLocation(file: file.rulesPath, line: 1, column: 1)
        var results: [CaseResult] = []
        func result(_ name: String, field: CompiledRuleSet.Field, db: Value, chain: Value, expectMatch: Bool) {
            let matched = field.matches(db, chain)
            let shown = "DB \(field.display(db) ?? "null"), on chain \(field.display(chain) ?? "null")"
            let actual = matched ? [] : [Finding(streamId: "generated", kind: .mismatch, field: field.name, dbValue: field.display(db),
                                                 onChainValue: field.display(chain), rule: field.name, severity: field.severity,
                                                 message: "\(field.name) differs: \(shown) (\(field.comparator.summary))")]
            results.append(CaseResult(file: file.path, name: "\(name): \(shown)", location: location,
                                      expected: expectMatch ? [] : [.init(kind: .mismatch, field: field.name)], actual: actual,
                                      passed: matched == expectMatch, generated: true))
        }
        for (slot, field) in ruleSet.fields.enumerated() where field.isCompared {
            if let limit = field.comparator.limit {
                for value in dbValues(slot, file) {
                    for above in [true, false] {
                        guard let edge = Self.boundary(of: limit, at: value, above: above) else { continue }
                        let side = above ? "above" : "below"
                        result("\(field.name) at the bound \(side) \(value)", field: field, db: .number(value), chain: .number(edge.at), expectMatch: true)
                        result("\(field.name) one past the bound \(side) \(value)", field: field, db: .number(value), chain: .number(edge.past),
                               expectMatch: false)
                    }
                }
            }
            for entry in field.comparator.entries ?? [] {
                // The on-chain value as a source gives it (a number as an integer), through the
                // compiled map, against the DB value the rules declare for it.
                let raw: RawValue = Int64(entry.chain).map { String($0) == entry.chain ? .integer($0) : .text(entry.chain) } ?? .text(entry.chain)
                let declared = Value.text(entry.value)
                let translated = (try? field.parseChain(raw).get()) ?? .null
                result("\(field.name) map entry '\(entry.chain)'", field: field, db: declared, chain: translated, expectMatch: true)
            }
        }
        return results
    }

    /// The DB values of the field's slot that the cases give (numbers only), else 1000000.
    private func dbValues(_ slot: Int, _ file: RuleTestFile) -> [Int128] {
        let field = file.ruleSet.fields[slot]
        var values: [Int128] = []
        for testCase in file.cases {
            guard let raw = testCase.db?[field.dbColumn], case .success(.number(let value)) = field.parseDB(raw), !values.contains(value) else { continue }
            values.append(value)
            if values.count == Self.boundaryValues { break }
        }
        return values.isEmpty ? [1_000_000] : values
    }

    /// The chain values exactly at the bound above (or below) `value` and one base unit past it:
    /// the largest difference d with d <= limit(value, value ± d), found by bisection. Nil when
    /// the bound allows every representable value that way (a `tolerance_bps` above 10000 can).
    /// Computed in unsigned arithmetic: a difference may exceed `Int128.max`.
    public static func boundary(of limit: @Sendable (Int128, Int128) -> UInt128?, at value: Int128, above: Bool) -> (at: Int128, past: Int128)? {
        let base = UInt128(bitPattern: value)
        let room = above ? UInt128(bitPattern: Int128.max) &- base : base &- UInt128(bitPattern: Int128.min)
        func chain(_ d: UInt128) -> Int128 { Int128(bitPattern: above ? base &+ d : base &- d) }
        func allows(_ d: UInt128) -> Bool {
            guard let allowed = limit(value, chain(d)) else { return true }
            return d <= allowed
        }
        guard !allows(room) else { return nil }
        var (low, high) = (UInt128(0), room) // allows(low), not allows(high)
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if allows(middle) { low = middle } else { high = middle }
        }
        return (chain(low), chain(low + 1))
    }
}
