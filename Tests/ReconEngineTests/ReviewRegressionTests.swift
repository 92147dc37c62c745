import ReconEngine
import Testing

/// Cases found in review of the rule engine; each failed before its fix.
struct ReviewRegressionTests {
    @Test func aMapMayNotMapOneChainValueTwice() {
        #expect(lint(rules(fields: "  s: { type: enum, values: [a, b], compare: { map: { 0: a, '0': b } } }")) == [
            "rules.yaml:6:60: error[duplicate-value]: on-chain value '0' is mapped twice",
        ])
    }

    @Test func enumValuesMustBeNamed() {
        #expect(lint(rules(fields: "  s: { type: enum, values: [a, '', ~] }")) == [
            "rules.yaml:6:36: error[invalid-parameter]: each entry of 'values' must be a value, not null",
        ])
        #expect(lint(rules(fields: "  s: { type: enum, values: [a, ''] }")) == [
            "rules.yaml:6:32: error[invalid-parameter]: an entry of 'values' is empty; name each value",
        ])
    }

    @Test func descriptionsMustBeText() {
        #expect(lint(rules(fields: "  a: { type: amount, description: [x] }", invariants: "  i: { assert: a > 0, description: {x: 1} }")) == [
            "rules.yaml:6:35: error[wrong-node-kind]: 'description' of field 'a' must be a single value, not a list",
            "rules.yaml:8:36: error[wrong-node-kind]: 'description' of invariant 'i' must be a single value, not a mapping",
        ])
    }

    @Test func negativeUnixTimeAsText() throws {
        let type = try compile(rules(fields: "  t: { type: timestamp }")).fields[0].type
        #expect(try type.render(type.parse(.text("-5")).get()) == "1969-12-31T23:59:55Z")
        #expect(try type.render(type.parse(.integer(-5)).get()) == "1969-12-31T23:59:55Z")
    }

    @Test func theSmallestAmountCanBeWrittenAsALiteral() throws {
        let ruleSet = try compile(rules(fields: "  a: { type: amount }", invariants: "  i: { assert: a > -170141183460469231731687303715884105728 }"))
        #expect(ruleSet.reconcile(streamId: "s", db: ["-170141183460469231731687303715884105727"], chain: nil).map(\.kind) == [.missingOnChain])
        #expect(lint(rules(fields: "  a: { type: amount }", invariants: "  i: { assert: a > 170141183460469231731687303715884105728 }")) == [
            "rules.yaml:8:20: error[expression-syntax]: integer literal 170141183460469231731687303715884105728 does not fit in a signed 128-bit integer",
        ])
    }

    @Test func toleranceBpsHasNoUpperBound() throws {
        let ruleSet = try compile(rules(fields: "  a: { type: amount, compare: { tolerance_bps: 15000 } }"))
        #expect(ruleSet.reconcile(streamId: "s", db: ["100"], chain: ["-300"]).isEmpty)
        #expect(ruleSet.reconcile(streamId: "s", db: ["100"], chain: ["-100"]).map(\.kind) == [.mismatch])
    }

    @Test func ignoreCaseBeyondASCII() throws {
        let ruleSet = try compile(rules(fields: "  n: { type: string, compare: ignore_case }"))
        #expect(ruleSet.reconcile(streamId: "s", db: ["ÉCOLE"], chain: ["école"]).isEmpty)
        #expect(ruleSet.reconcile(streamId: "s", db: ["École"], chain: ["Ecole"]).map(\.kind) == [.mismatch])
        #expect(ruleSet.reconcile(streamId: "s", db: ["abc"], chain: ["abcd"]).map(\.kind) == [.mismatch])
        #expect(ruleSet.reconcile(streamId: "s", db: ["a-c"], chain: ["a\rc"]).map(\.kind) == [.mismatch])
    }

    @Test func aRowOfTheWrongLengthIsASourceErrorNotACrash() throws {
        let ruleSet = try compile(demoRules)
        #expect(ruleSet.reconcile(streamId: "s", db: ["1"], chain: nil) == [
            Finding(streamId: "s", kind: .sourceError, rule: "key", severity: .critical,
                    message: "the DB row of stream 's' has 1 values; the rules map 4 fields"),
        ])
    }

    @Test func positionsThroughDoubleQuotedEscapes() {
        let yaml = rules(fields: "  a: { type: amount }\n  n: { type: string }", invariants: #"""
          i: { assert: "n != \"\\\t\u00e9\x41\U0001F600\" and bogus > 0" }
          j:
            assert: "n != 'x' and \
              bogus > 0"
        """#)
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        let found = RulesCompiler().compile(yaml: yaml, file: "r.yaml").diagnostics.map { diagnostic in
            let line = Array(lines[diagnostic.location.line - 1].unicodeScalars)
            return String(String.UnicodeScalarView(line[(diagnostic.location.column - 1)...].prefix(5)))
        }
        #expect(found == ["bogus", "bogus"])
    }
}
