import ReconEngine
import Testing

/// Applying a compiled rule set to one stream pair yields each finding kind (docs/rules.md, "Findings").
struct ReconcileTests {
    let ruleSet: CompiledRuleSet
    // total_amount, released_amount, status, recipient
    let address = "0x52908400098527886E0F7030069857D2E4169EE7"

    init() throws {
        ruleSet = try compile(demoRules)
    }

    func row(_ total: RawValue, _ released: RawValue, _ status: RawValue, _ recipient: RawValue? = nil) -> [RawValue] {
        [total, released, status, recipient ?? .text(address)]
    }

    @Test func exposesColumnsInSlotOrder() {
        #expect(ruleSet.name == "payment-streams")
        #expect(ruleSet.table == "streams")
        #expect(ruleSet.keyColumn == "id" && ruleSet.keyChainField == "id")
        #expect(ruleSet.dbColumns == ["total_amount", "released_amount", "status", "recipient"])
        #expect(ruleSet.chainFields == ["deposited", "withdrawn", "state", "recipient"])
        #expect(ruleSet.invariants.map(\.name) == ["non-negative-balances", "released-within-total"])
    }

    @Test func matchingPairHasNoFindings() {
        let findings = ruleSet.reconcile(streamId: "stream_1", db: row("1000", "250", "active"),
                                         chain: row(1000, "250", 1, .text(address.lowercased())))
        #expect(findings.isEmpty)
    }

    @Test func mismatchPerDifferingField() {
        let findings = ruleSet.reconcile(streamId: "stream_2", db: row("1000", "500", "active"), chain: row("1000", "450", 2))
        #expect(findings == [
            Finding(streamId: "stream_2", kind: .mismatch, field: "released_amount", dbValue: "500", onChainValue: "450",
                    rule: "released_amount", severity: .critical, message: "released_amount differs: DB 500, on chain 450 (exact)"),
            Finding(streamId: "stream_2", kind: .mismatch, field: "status", dbValue: "active", onChainValue: "completed",
                    rule: "status", severity: .critical, message: "status differs: DB active, on chain completed (mapped)"),
        ])
    }

    @Test func missingOnChainStillChecksTheDBSide() {
        let findings = ruleSet.reconcile(streamId: "stream_4", db: row("100", "200", "active"), chain: nil)
        #expect(findings.map(\.kind) == [.missingOnChain, .invariantViolation])
        #expect(findings[0] == Finding(streamId: "stream_4", kind: .missingOnChain, rule: "key", severity: .critical,
                                       message: "stream 'stream_4' is in the database but not on chain"))
        #expect(findings[1] == Finding(streamId: "stream_4", kind: .invariantViolation, side: .db,
                                       values: ["released_amount": "200", "total_amount": "100"], rule: "released-within-total", severity: .warning,
                                       message: "released-within-total fails on DB: released_amount <= total_amount is false (released_amount=200, total_amount=100)"))
    }

    @Test func missingInDB() {
        let findings = ruleSet.reconcile(streamId: "stream_9", db: nil, chain: row("5", "0", 0))
        #expect(findings == [Finding(streamId: "stream_9", kind: .missingInDB, rule: "key", severity: .critical,
                                     message: "stream 'stream_9' is on chain but not in the database")])
        #expect(ruleSet.reconcile(streamId: "nowhere", db: nil, chain: nil).isEmpty)
    }

    @Test func invariantViolationPerSide() {
        let findings = ruleSet.reconcile(streamId: "s", db: row("10", "-5", "active"), chain: row("10", "-5", 1))
        #expect(findings.map(\.kind) == [.invariantViolation, .invariantViolation])
        #expect(findings.map(\.side) == [.db, .chain])
        #expect(findings.map(\.rule) == ["non-negative-balances", "non-negative-balances"])
        #expect(findings[1].values == ["total_amount": "10", "released_amount": "-5"])
        #expect(findings[1].message == "non-negative-balances fails on chain: total_amount >= 0 and released_amount >= 0 is false (total_amount=10, released_amount=-5)")
    }

    @Test func invalidValueSkipsItsComparisonAndInvariants() {
        let findings = ruleSet.reconcile(streamId: "stream_5", db: row("12x", "5", "active"), chain: row("10", "6", 7))
        #expect(findings == [
            Finding(streamId: "stream_5", kind: .invalidValue, field: "total_amount", side: .db, dbValue: "12x", rule: "total_amount",
                    severity: .critical, message: "DB total_amount is not a valid amount: '12x' is not a decimal integer"),
            Finding(streamId: "stream_5", kind: .invalidValue, field: "status", side: .chain, onChainValue: "7", rule: "status",
                    severity: .critical, message: "on-chain status is not a valid enum: '7' is not in the map (0, 1, 2, 3)"),
            Finding(streamId: "stream_5", kind: .mismatch, field: "released_amount", dbValue: "5", onChainValue: "6",
                    rule: "released_amount", severity: .critical, message: "released_amount differs: DB 5, on chain 6 (exact)"),
        ])
    }

    @Test func nullIsAnInvalidValue() {
        let findings = ruleSet.reconcile(streamId: "s", db: row(nil, "0", "active"), chain: row("0", "0", 1))
        #expect(findings.map(\.message) == ["DB total_amount is not a valid amount: the value is null"])
        #expect(findings.first?.dbValue == nil)
    }

    @Test func fieldSeverityAppliesToItsFindings() throws {
        let ruleSet = try compile(rules(fields: "  fee: { type: amount, severity: info, compare: { tolerance: 2 } }"))
        let findings = ruleSet.reconcile(streamId: "s", db: ["10"], chain: ["13"])
        #expect(findings.map(\.severity) == [.info])
        #expect(findings.map(\.message) == ["fee differs by 3, more than the tolerance of 2: DB 10, on chain 13"])
        #expect(ruleSet.reconcile(streamId: "s", db: ["10"], chain: ["12"]).isEmpty)
    }

    @Test func arithmeticOverflowIsAViolationNotACrash() throws {
        let ruleSet = try compile(rules(fields: "  a: { type: amount }\n  b: { type: amount }", invariants: "  sum: { on: [db], assert: a + b >= 0 }"))
        let max = "170141183460469231731687303715884105727"
        let findings = ruleSet.reconcile(streamId: "s", db: [.text(max), "1"], chain: nil)
        #expect(findings.map(\.message) == ["stream 's' is in the database but not on chain",
                                            "sum fails on DB: a + b >= 0 cannot be evaluated: \(max) + 1 overflows 128 bits (a=\(max), b=1)"])
    }

    @Test func findingsSortInReportOrder() {
        let a = Finding(streamId: "s1", kind: .mismatch, field: "b", rule: "b", severity: .info, message: "")
        let b = Finding(streamId: "s1", kind: .mismatch, field: "a", rule: "a", severity: .info, message: "")
        let c = Finding(streamId: "s1", kind: .invalidValue, field: "z", side: .db, rule: "z", severity: .info, message: "")
        let d = Finding(streamId: "s0", kind: .mismatch, rule: "k", severity: .info, message: "")
        let e = Finding(streamId: "s1", kind: .invalidValue, field: "z", side: .chain, rule: "z", severity: .info, message: "")
        #expect([a, b, c, d, e].sorted(by: Finding.reportOrder) == [d, e, c, b, a])
    }

    @Test func severitiesAreOrdered() {
        #expect(Severity.info < .warning && Severity.warning < .critical)
        #expect(Severity.allCases.sorted() == [.info, .warning, .critical])
    }
}
