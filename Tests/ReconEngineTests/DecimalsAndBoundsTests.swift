import ReconEngine
import Testing

/// `decimals: { db, chain }` on amounts and `compare: { tolerance, tolerance_bps }` (SPEC §10).
struct DecimalsAndBoundsTests {
    static func amount(_ decimals: String) throws -> CompiledRuleSet {
        try compile(rules(fields: "  total: { type: amount, decimals: \(decimals) }"))
    }

    @Test(arguments: [
        ("1.5", "1500000000000000000"),
        ("1.500000000000000000", "1500000000000000000"),
        ("0.000000000000000001", "1"),
        ("-0.0", "0"),
        ("-0", "0"),
        ("0", "0"),
        ("-2.25", "-2250000000000000000"),
        ("170141183460469231731.687303715884105727", "170141183460469231731687303715884105727"),
        ("-170141183460469231731.687303715884105728", "-170141183460469231731687303715884105728"),
        ("00000000000000000000000000000000000000001.5", "1500000000000000000"),
    ])
    func scalesDecimalTextExactly(_ text: String, _ base: String) throws {
        let field = try Self.amount("{ db: 18 }").fields[0]
        #expect(field.display(try field.parseDB(.text(text)).get()) == base)
        #expect(field.display(try field.parseDB(.decimal(text)).get()) == base)
    }

    @Test(arguments: [
        ("1.5000000000000000000", "'1.5000000000000000000' has 19 fractional digits; the rules declare 18 decimals on the DB side"),
        ("1.", "'1.' has no digit after the point; write 1 or add the digits"),
        (".5", "'.5' needs a digit before the point; write 0.5"),
        ("-.5", "'-.5' needs a digit before the point; write -0.5"),
        ("1e18", "'1e18' has an exponent; write every digit"),
        ("1.2.3", "'1.2.3' is not a decimal number"),
        (" 1.5", "' 1.5' is not a decimal number"),
        ("1,5", "'1,5' is not a decimal number"),
        ("+1", "'+1' has a leading '+'"),
        ("", "empty text is not a number"),
        ("170141183460469231731.687303715884105728",
         "'170141183460469231731.687303715884105728' with 18 decimals is beyond an amount's 128 bits (170141183460469231731687303715884105727 base units)"),
        ("1000000000000000000000000000000000000000000",
         "'1000000000000000000000000000000000000000000' with 18 decimals is beyond an amount's 128 bits (170141183460469231731687303715884105727 base units)"),
    ])
    func refusesWhatItCannotScaleExactly(_ text: String, _ reason: String) throws {
        let field = try Self.amount("{ db: 18 }").fields[0]
        #expect(throws: InvalidValue(reason)) { try field.parseDB(.text(text)).get() }
    }

    @Test func integersAreWholeTokensAndSidesScaleApart() throws {
        let ruleSet = try Self.amount("{ db: 6, chain: 0 }")
        let field = ruleSet.fields[0]
        #expect(try field.parseDB(.integer(2)).get() == .number(2_000_000))
        #expect(try field.parseChain(.integer(2)).get() == .number(2))
        #expect(throws: InvalidValue("'1.5' has 1 fractional digit; the rules declare 0 decimals on the chain side")) {
            try field.parseChain(.text("1.5")).get()
        }
        #expect(throws: InvalidValue("'9223372036854775807' with 38 decimals is beyond an amount's 128 bits (170141183460469231731687303715884105727 base units)")) {
            try Self.amount("{ db: 38 }").fields[0].parseDB(.integer(.max)).get()
        }
    }

    @Test func comparesAndReportsInBaseUnits() throws {
        let ruleSet = try compile(rules(fields: "  total: { type: amount, decimals: { db: 18 }, chain: deposited }",
                                        invariants: "  positive: { assert: total > 1000000000000000000 }"))
        #expect(ruleSet.reconcile(streamId: "s", db: ["1.5"], chain: ["1500000000000000000"]).isEmpty)
        let findings = ruleSet.reconcile(streamId: "s", db: ["1.5"], chain: ["1500000000000000001"])
        #expect(findings.map(\.message) == ["total differs: DB 1500000000000000000, on chain 1500000000000000001 (exact)"])
        let low = ruleSet.reconcile(streamId: "s", db: ["0.5"], chain: ["500000000000000000"])
        #expect(low.map(\.values) == [["total": "500000000000000000"], ["total": "500000000000000000"]])
        let invalid = ruleSet.reconcile(streamId: "s", db: ["1.0000000000000000001"], chain: ["2000000000000000000"])
        #expect(invalid.map(\.message) == [
            "DB total is not a valid amount: '1.0000000000000000001' has 19 fractional digits; the rules declare 18 decimals on the DB side",
        ])
        #expect(invalid.first?.dbValue == "1.0000000000000000001")
    }

    // MARK: combined bounds

    static let combined = "  released: { type: amount, compare: { tolerance: 5, tolerance_bps: 10 } }"

    @Test(arguments: [
        ("500", "505", true),        // exactly the absolute bound
        ("500", "506", false),       // one past it; 10 bps of 506 is 0.506
        ("99900", "100000", true),   // exactly 10 bps of 100000 (100)
        ("99899", "100000", false),  // one past: 101 > 100
        ("100000", "100101", false), // 101 > 100.101
        ("-100000", "-100100", true),
        ("100100", "100000", true),
        ("0", "5", true),
        ("0", "6", false),
    ])
    func eitherBoundPasses(_ db: String, _ chain: String, _ passes: Bool) throws {
        let ruleSet = try compile(rules(fields: Self.combined))
        #expect(ruleSet.reconcile(streamId: "s", db: [.text(db)], chain: [.text(chain)]).isEmpty == passes)
    }

    @Test func aFailedBoundSaysByHowMuchAndWhichBound() throws {
        let single = try compile(rules(fields: "  released: { type: amount, compare: { tolerance: 5 } }"))
        #expect(single.reconcile(streamId: "s", db: ["506"], chain: ["500"]).map(\.message)
            == ["released differs by 6, more than the tolerance of 5: DB 506, on chain 500"])
        let bps = try compile(rules(fields: "  released: { type: amount, compare: { tolerance_bps: 10 } }"))
        #expect(bps.reconcile(streamId: "s", db: ["100000"], chain: ["100101"]).map(\.message)
            == ["released differs by 101, more than the tolerance of 10 bps (100.101 of 100101): DB 100000, on chain 100101"])
        let both = try compile(rules(fields: Self.combined))
        #expect(both.reconcile(streamId: "s", db: ["506"], chain: ["500"]).map(\.message)
            == ["released differs by 6, more than the tolerance of 5 and the tolerance of 10 bps (0.506 of 506): DB 506, on chain 500"])
        let time = try compile(rules(fields: "  at: { type: timestamp, compare: { tolerance: 60 } }"))
        #expect(time.reconcile(streamId: "s", db: [1_700_000_000], chain: [1_700_000_061]).map(\.message)
            == ["at differs by 61 seconds, more than the tolerance of 60 seconds: DB 2023-11-14T22:13:20Z, on chain 2023-11-14T22:14:21Z"])
        #expect(time.reconcile(streamId: "s", db: [1_700_000_000], chain: [1_699_999_940]).isEmpty)
    }

    @Test func boundsAtTheExtremesDoNotOverflow() throws {
        let ruleSet = try compile(rules(fields: "  v: { type: amount, compare: { tolerance: 0, tolerance_bps: 15000 } }"))
        let findings = ruleSet.reconcile(streamId: "s", db: ["-170141183460469231731687303715884105728"], chain: ["170141183460469231731687303715884105727"])
        #expect(findings.map(\.message) == ["v differs by 340282366920938463463374607431768211455, more than the tolerance of 0 and the tolerance of 15000 bps "
            + "(255211775190703847597530955573826158592 of 170141183460469231731687303715884105728): "
            + "DB -170141183460469231731687303715884105728, on chain 170141183460469231731687303715884105727"])
    }

    @Test func enumValuesWrittenBareGetAHintToQuote() {
        let text = rules(fields: "  status: { type: enum, values: [active, completed] }", invariants: "  done: { assert: status == completed }")
        #expect(lint(text) == [
            "rules.yaml:8:29: error[unknown-field]: unknown field 'completed'; did you mean 'completed'? A value of enum 'status' is quoted: status == 'completed'",
        ])
    }
}
