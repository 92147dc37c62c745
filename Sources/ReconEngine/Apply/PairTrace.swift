/// What applying a rule set to one pair exercised, for rule-test coverage: the fields compared
/// (and whether they matched), the invariants checked (and whether they held), and the `map`
/// entries used. Slower than `reconcile`; never on a run's path.
public struct PairTrace: Sendable {
    public var findings: [Finding] = []
    /// Fields compared with valid values on both sides, by whether they matched.
    public var matched: Set<String> = []
    public var mismatched: Set<String> = []
    /// Invariants checked on some side, by whether they held there.
    public var held: Set<String> = []
    public var broken: Set<String> = []
    /// For `map` fields: the on-chain values (map keys) the pair used.
    public var mapEntries: [String: Set<String>] = [:]
}

extension CompiledRuleSet {
    /// The findings for one pair and what producing them exercised.
    public func trace(streamId: String, db: [RawValue]?, chain: [RawValue]?) -> PairTrace {
        var trace = PairTrace(findings: reconcile(streamId: streamId, db: db, chain: chain))
        guard db?.count ?? fields.count == fields.count, chain?.count ?? fields.count == fields.count else { return trace }
        let mismatches = Set(trace.findings.filter { $0.kind == .mismatch }.compactMap(\.field))
        func parsed(_ raw: [RawValue]?, _ side: Side) -> [Value?]? {
            raw.map { values in
                values.indices.map { slot in
                    guard side == .db ? plan.slots[slot].parsedDB : plan.slots[slot].parsedChain else { return nil }
                    let result = side == .db ? fields[slot].parseDB(values[slot]) : fields[slot].parseChain(values[slot])
                    return try? result.get()
                }
            }
        }
        let dbValues = parsed(db, .db), chainValues = parsed(chain, .chain)
        for (slot, field) in fields.enumerated() where plan.slots[slot].compared {
            guard dbValues?[slot] != nil, chainValues?[slot] != nil else { continue }
            // An entry is used when the value it translated was compared.
            if let entries = field.comparator.entries, let key = chain?[slot].displayText, entries.contains(where: { $0.chain == key }) {
                trace.mapEntries[field.name, default: []].insert(key)
            }
            if mismatches.contains(field.name) { trace.mismatched.insert(field.name) } else { trace.matched.insert(field.name) }
        }
        let violations = Set(trace.findings.filter { $0.kind == .invariantViolation }.map { "\($0.rule) \($0.side?.rawValue ?? "")" })
        for (index, invariant) in invariants.enumerated() {
            for (side, values) in [(Side.db, dbValues), (.chain, chainValues)] where side == .db ? plan.checks[index].onDB : plan.checks[index].onChain {
                guard let values, invariant.slots.allSatisfy({ values[$0] != nil }) else { continue }
                if violations.contains("\(invariant.name) \(side.rawValue)") {
                    trace.broken.insert(invariant.name)
                } else if holds(index, values.map { $0 ?? .null }) {
                    trace.held.insert(invariant.name)
                }
            }
        }
        return trace
    }

    /// Whether invariant `index` was checked for these values and held.
    private func holds(_ index: Int, _ values: [Value]) -> Bool {
        var values = values
        return values.withUnsafeMutableBufferPointer { record in (try? plan.holds(index, for: record)) == true }
    }
}
