extension CompiledRuleSet {
    /// The findings for one stream: its DB row and its on-chain record, each a list of raw
    /// values in `fields` order (nil when the side has no record). Pure: no I/O.
    public func reconcile(streamId: String, db: [RawValue]?, chain: [RawValue]?) -> [Finding] {
        var findings: [Finding] = []
        reconcile(streamId: streamId, db: db, chain: chain, into: &findings)
        return findings
    }

    /// Appends the findings for one stream to `findings`.
    public func reconcile(streamId: String, db: [RawValue]?, chain: [RawValue]?, into findings: inout [Finding]) {
        // Checked without building an array of both sides per stream.
        let mismatched = db.map { $0.count != fields.count } == true ? ("DB row", db!.count)
            : chain.map { $0.count != fields.count } == true ? ("on-chain record", chain!.count) : nil
        if let (side, count) = mismatched {
            findings.append(Finding(streamId: streamId, kind: .sourceError, rule: "key", severity: .critical,
                                    message: "the \(side) of stream '\(streamId)' has \(count) values; the rules map \(fields.count) fields"))
            return
        }
        switch (db, chain) {
        case (nil, nil):
            return
        case (_, nil):
            findings.append(Finding(streamId: streamId, kind: .missingOnChain, rule: "key", severity: .critical,
                                    message: "stream '\(streamId)' is in the database but not on chain"))
        case (nil, _):
            findings.append(Finding(streamId: streamId, kind: .missingInDB, rule: "key", severity: .critical,
                                    message: "stream '\(streamId)' is on chain but not in the database"))
        default:
            break
        }
        let count = fields.count
        withUnsafeTemporaryAllocation(of: Value.self, capacity: count) { dbValues in
            withUnsafeTemporaryAllocation(of: Value.self, capacity: count) { chainValues in
                let dbSide = db.map { parse($0, side: .db, into: dbValues, streamId: streamId, findings: &findings) }
                let chainSide = chain.map { parse($0, side: .chain, into: chainValues, streamId: streamId, findings: &findings) }
                defer {
                    if dbSide != nil { _ = dbValues.deinitialize() }
                    if chainSide != nil { _ = chainValues.deinitialize() }
                }
                if let dbSide, let chainSide {
                    compare(dbSide, chainSide, streamId: streamId, into: &findings)
                }
                let checks = plan.checks
                for index in checks.indices {
                    if checks[index].onDB, let dbSide { check(index, on: .db, record: dbSide, streamId: streamId, into: &findings) }
                    if checks[index].onChain, let chainSide { check(index, on: .chain, record: chainSide, streamId: streamId, into: &findings) }
                }
            }
        }
    }

    /// One side's typed values and the slots that did not parse (placeholders in `values`).
    struct ParsedSide {
        var values: Record
        var invalid: [Int] = []

        func isValid(_ slot: Int) -> Bool { invalid.isEmpty || !invalid.contains(slot) }
    }

    /// Parses one side into `buffer`, initializing every slot.
    private func parse(
        _ raw: [RawValue], side: Side, into buffer: UnsafeMutableBufferPointer<Value>, streamId: String, findings: inout [Finding]
    ) -> ParsedSide {
        var parsed = ParsedSide(values: buffer)
        let slots = plan.slots
        for slot in raw.indices {
            guard side == .db ? slots[slot].parsedDB : slots[slot].parsedChain else {
                // Ignored and read by no invariant: never parsed, never reported.
                buffer.initializeElement(at: slot, to: .null)
                continue
            }
            let result = side == .db ? slots[slot].dbParse(raw[slot]) : slots[slot].chainParse(raw[slot])
            switch result {
            case .success(let value):
                buffer.initializeElement(at: slot, to: value)
            case .failure(let error):
                buffer.initializeElement(at: slot, to: .bool(false))
                parsed.invalid.append(slot)
                let (field, rawValue) = (fields[slot], raw[slot])
                let shown = rawValue.displayText
                findings.append(Finding(
                    streamId: streamId, kind: .invalidValue, field: field.name, side: side,
                    dbValue: side == .db ? shown : nil, onChainValue: side == .chain ? shown : nil,
                    rule: field.name, severity: field.severity,
                    message: "\(side == .db ? "DB" : "on-chain") \(field.name) is not a valid \(field.type.identifier): \(error.reason)"
                ))
            }
        }
        return parsed
    }

    private func compare(_ db: ParsedSide, _ chain: ParsedSide, streamId: String, into findings: inout [Finding]) {
        let slots = plan.slots
        for slot in slots.indices where slots[slot].compared && db.isValid(slot) && chain.isValid(slot) {
            let (dbValue, chainValue) = (db.values[slot], chain.values[slot])
            guard !slots[slot].matches(dbValue, chainValue) else { continue }
            let field = fields[slot]
            let (dbText, chainText) = (field.display(dbValue), field.display(chainValue))
            let shown = "DB \(dbText ?? "null"), on chain \(chainText ?? "null")"
            let message: String
            if case .number(let a) = dbValue, case .number(let b) = chainValue, let bound = field.comparator.bound {
                let unit = field.type.unit.map { " \($0)" } ?? ""
                message = "\(field.name) differs by \(Magnitude.distance(a, b))\(unit), more than \(bound(a, b)): \(shown)"
            } else {
                message = "\(field.name) differs: \(shown) (\(field.comparator.summary))"
            }
            findings.append(Finding(
                streamId: streamId, kind: .mismatch, field: field.name, dbValue: dbText, onChainValue: chainText,
                rule: field.name, severity: field.severity, message: message
            ))
        }
    }

    private func check(_ index: Int, on side: Side, record: ParsedSide, streamId: String, into findings: inout [Finding]) {
        // Read in place: copying the check out retained its closures and slots every time.
        guard record.invalid.isEmpty || plan.checks[index].slots.allSatisfy(record.isValid) else { return }
        let failure: String
        let invariant: Invariant
        do {
            guard let held = try plan.holds(index, for: record.values), !held else { return }
            invariant = invariants[index]
            failure = "\(invariant.expression) is false"
        } catch {
            invariant = invariants[index]
            failure = "\(invariant.expression) cannot be evaluated: \(error.message)"
        }
        var values: [String: String] = [:]
        for slot in invariant.slots { values[fields[slot].name] = fields[slot].display(record.values[slot]) ?? "null" }
        let shown = invariant.slots.map { "\(fields[$0].name)=\(values[fields[$0].name]!)" }.joined(separator: ", ")
        findings.append(Finding(
            streamId: streamId, kind: .invariantViolation, side: side, values: values, rule: invariant.name, severity: invariant.severity,
            message: "\(invariant.name) fails on \(side == .db ? "DB" : "chain"): \(failure) (\(shown))"
        ))
    }
}
