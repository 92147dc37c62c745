import ReconEngine
import Testing

/// `nullable: true`, `is null` / `is not null`, and `compare: ignore` (SPEC §10).
struct NullableFieldTests {
    let ruleSet: CompiledRuleSet

    init() throws {
        ruleSet = try compile(rules(fields: """
              memo: { type: string, nullable: true }
              cancelled_at: { type: timestamp, nullable: true }
              status: { type: enum, values: [active, cancelled] }
            """, invariants: """
              cancelled-has-time:
                when: status == 'cancelled'
                assert: cancelled_at is not null
              cancelled-after-epoch:
                when: cancelled_at is not null
                assert: cancelled_at > 0
            """))
    }

    @Test func nullOnBothSidesIsEqual() {
        #expect(ruleSet.reconcile(streamId: "s", db: [nil, nil, "active"], chain: [nil, nil, "active"]).isEmpty)
    }

    @Test func nullOnOneSideIsAMismatchWhoseNullSideIsNull() {
        let findings = ruleSet.reconcile(streamId: "s", db: [nil, nil, "active"], chain: ["paid", nil, "active"])
        #expect(findings.map(\.kind) == [.mismatch])
        #expect(findings.first?.dbValue == nil)
        #expect(findings.first?.onChainValue == "paid")
        #expect(findings.first?.message == "memo differs: DB null, on chain paid (exact)")
        let other = ruleSet.reconcile(streamId: "s", db: ["paid", nil, "active"], chain: [nil, nil, "active"])
        #expect(other.first?.onChainValue == nil)
        #expect(other.first?.dbValue == "paid")
    }

    @Test func emptyTextIsNotNull() {
        let findings = ruleSet.reconcile(streamId: "s", db: ["", nil, "active"], chain: [nil, nil, "active"])
        #expect(findings.map(\.kind) == [.mismatch])
        #expect(findings.first?.dbValue == "")
        #expect(findings.first?.onChainValue == nil)
    }

    @Test func withoutNullableNullStaysInvalid() {
        let findings = ruleSet.reconcile(streamId: "s", db: [nil, nil, nil], chain: [nil, nil, "active"])
        #expect(findings.map(\.kind) == [.invalidValue])
        #expect(findings.first?.field == "status")
    }

    @Test func isNullAndIsNotNullInAssertAndWhen() {
        let missing = ruleSet.reconcile(streamId: "s", db: [nil, nil, "cancelled"], chain: [nil, nil, "cancelled"])
        #expect(missing.map(\.rule) == ["cancelled-has-time", "cancelled-has-time"])
        #expect(missing.first?.values == ["cancelled_at": "null", "status": "cancelled"])
        let present = ruleSet.reconcile(streamId: "s", db: [nil, 5, "cancelled"], chain: [nil, 5, "cancelled"])
        #expect(present.isEmpty)
        let negative = ruleSet.reconcile(streamId: "s", db: [nil, -5, "cancelled"], chain: [nil, -5, "cancelled"])
        #expect(negative.map(\.rule) == ["cancelled-after-epoch", "cancelled-after-epoch"])
    }

    @Test func anInvariantReadingANullFieldIsNotCheckedForThatRecord() throws {
        let ruleSet = try compile(rules(fields: "  end_time: { type: timestamp, nullable: true }\n  start_time: { type: timestamp }",
                                        invariants: "  ends-after-start: { assert: end_time >= start_time or end_time is null }"))
        #expect(ruleSet.reconcile(streamId: "s", db: [nil, 10], chain: [nil, 10]).isEmpty)
        #expect(ruleSet.reconcile(streamId: "s", db: [5, 10], chain: [20, 10]).map(\.side) == [nil, .db])
    }

    /// Whether a null skips the check does not depend on the order of the operands.
    @Test func anUnguardedNullSkipsTheCheckWhateverTheOrder() throws {
        for assert in ["released <= total and end_time >= start_time", "end_time >= start_time and released <= total"] {
            let text = rules(fields: """
                  end_time: { type: timestamp, nullable: true }
                  start_time: { type: timestamp }
                  released: { type: amount }
                  total: { type: amount }
                """, invariants: "  i: { on: [db], assert: \(assert) }")
            let ruleSet = try #require(RulesCompiler().compile(yaml: text, file: "rules.yaml").ruleSet)
            #expect(ruleSet.reconcile(streamId: "s", db: [nil, 1, "600", "500"], chain: [nil, 1, "600", "500"]).isEmpty, "\(assert)")
            #expect(ruleSet.reconcile(streamId: "s", db: [2, 1, "600", "500"], chain: [2, 1, "600", "500"]).map(\.rule) == ["i"], "\(assert)")
        }
        // Tested with `is not null`, the author decides: a null makes this one false.
        let guarded = try compile(rules(fields: "  end_time: { type: timestamp, nullable: true }",
                                        invariants: "  i: { on: [db], assert: end_time is not null and end_time > 0 }"))
        #expect(guarded.reconcile(streamId: "s", db: [nil], chain: [nil]).map(\.rule) == ["i"])
    }

    @Test func anAbsentChainMemberIsNullForANullableField() throws {
        // Sources give an absent member as `.null`: the same as a null.
        let findings = ruleSet.reconcile(streamId: "s", db: [nil, 1_700_000_000, "cancelled"], chain: [nil, nil, "cancelled"])
        #expect(findings.map(\.kind) == [.mismatch, .invariantViolation])
        #expect(findings.first?.message == "cancelled_at differs: DB 2023-11-14T22:13:20Z, on chain null (exact)")
        #expect(findings.last?.side == .chain)
    }

    @Test func ignoredFieldsAreNeverParsedComparedOrReported() throws {
        let ruleSet = try compile(rules(fields: "  memo: { type: string, compare: ignore }\n  fee: { type: amount, compare: ignore }"))
        #expect(ruleSet.reconcile(streamId: "s", db: [nil, "12x"], chain: [true, nil]).isEmpty)
        #expect(ruleSet.fields.map(\.isCompared) == [false, false])
    }

    @Test func anIgnoredFieldAnInvariantReadsIsParsedForIt() throws {
        let ruleSet = try compile(rules(fields: "  fee: { type: amount, compare: ignore }", invariants: "  fee-positive: { on: [db], assert: fee >= 0 }"))
        #expect(ruleSet.reconcile(streamId: "s", db: ["1"], chain: ["2"]).isEmpty)
        #expect(ruleSet.reconcile(streamId: "s", db: ["-1"], chain: ["-2"]).map(\.rule) == ["fee-positive"])
        // The invariant cannot be checked without the value: that is reported, on the side it
        // reads only; the chain side (absent in the snapshot, say) is never parsed.
        let invalid = ruleSet.reconcile(streamId: "s", db: ["12x"], chain: ["12x"])
        #expect(invalid.map(\.kind) == [.invalidValue])
        #expect(invalid.map(\.side) == [.db])
        #expect(ruleSet.reconcile(streamId: "s", db: ["1"], chain: [nil]).isEmpty)
    }

    @Test func nullableIgnoredFieldReadByAnInvariant() throws {
        let ruleSet = try compile(rules(fields: "  memo: { type: string, nullable: true, compare: ignore }",
                                        invariants: "  memo-set: { on: [db], assert: memo is not null }"))
        #expect(ruleSet.reconcile(streamId: "s", db: ["x"], chain: [nil]).isEmpty)
        #expect(ruleSet.reconcile(streamId: "s", db: [nil], chain: ["x"]).map(\.rule) == ["memo-set"])
    }

    @Test func theTallyAndParsersSeeNullable() throws {
        let field = ruleSet.fields[0]
        #expect(try field.parseDB(nil).get() == .null)
        #expect(try field.parseChain(nil).get() == .null)
        #expect(field.display(.null) == nil)
        #expect(field.nullable)
        #expect(!ruleSet.fields[2].nullable)
    }
}
