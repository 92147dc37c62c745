import ReconEngine
import Testing

/// Lint of the SPEC §10 keys: exact positions, warnings that leave the rules usable, and every
/// bad input of the issue as an error, never a crash.
struct RealSchemaLintTests {
    typealias Case = LintDiagnosticTests.Case
    static let header = LintDiagnosticTests.header

    /// Warnings: the rules still compile.
    static let warnings: [Case] = [
        Case(code: .unguardedNullable, yaml: header + "fields:\n  end_time: { type: timestamp, nullable: true }\n  start_time: { type: timestamp }\n"
                 + "invariants:\n  ends-after-start: { assert: end_time >= start_time }\n", expected: [
            "rules.yaml:9:31: warning[unguarded-nullable]: invariant 'ends-after-start' reads nullable field 'end_time' without testing it, "
                + "so it is not checked where 'end_time' is null; add 'end_time is not null and …' (or 'when: end_time is not null') to say so",
        ]),
        Case(code: .nullTestNotNullable, yaml: header + "fields:\n  total: { type: amount }\ninvariants:\n  set: { assert: \"total is not null\" }\n", expected: [
            "rules.yaml:8:19: warning[null-test-not-nullable]: field 'total' is not nullable, so 'is not null' is always true; "
                + "add 'nullable: true' to the field if its values can be null",
        ]),
    ]

    @Test(arguments: warnings)
    func warnsAndStillCompiles(_ test: Case) {
        #expect(lint(test.yaml) == test.expected)
        #expect(RulesCompiler().compile(yaml: test.yaml, file: "rules.yaml").ruleSet != nil)
    }

    @Test func aGuardInWhenOrAssertSilencesTheWarning() {
        let fields = "fields:\n  end_time: { type: timestamp, nullable: true }\n  start_time: { type: timestamp }\ninvariants:\n"
        #expect(lint(Self.header + fields + "  a: { when: end_time is not null, assert: end_time >= start_time }\n").isEmpty)
        #expect(lint(Self.header + fields + "  a: { assert: end_time is null or end_time >= start_time }\n").isEmpty)
    }

    /// Errors: the rules do not compile; each at its line and column.
    static let errors: [Case] = [
        Case(code: .invalidParameter, yaml: header + "fields:\n  a: { type: amount, decimals: { db: 39 } }\n  b: { type: amount, decimals: { chain: -1 } }\n"
                 + "  c: { type: amount, decimals: 18 }\n  d: { type: amount, decimals: {} }\n  e: { type: amount, decimals: { db: x } }\n", expected: [
            "rules.yaml:6:38: error[invalid-parameter]: 'decimals' db of field 'a' must be from 0 to 38, not 39",
            "rules.yaml:7:41: error[invalid-parameter]: 'decimals' chain of field 'b' must be from 0 to 38, not -1",
            "rules.yaml:8:32: error[invalid-parameter]: 'decimals' of field 'c' must be a mapping such as { db: 18 } or { db: 18, chain: 0 }, not a single value",
            "rules.yaml:9:32: error[invalid-parameter]: 'decimals' of field 'd' is empty; write it as { db: 18 } or { db: 18, chain: 0 }",
            "rules.yaml:10:38: error[invalid-parameter]: 'decimals' db of field 'e' must be a whole number, not 'x'",
        ]),
        Case(code: .unknownKey, yaml: header + "fields:\n  a: { type: amount, decimals: { dbs: 6 } }\n  b: { type: string, decimals: { db: 6 } }\n"
                 + "  c: { type: amount, nulable: true }\n", expected: [
            "rules.yaml:6:34: error[unknown-key]: unknown key 'dbs' in 'decimals' of field 'a'; did you mean 'db'?",
            "rules.yaml:7:22: error[unknown-key]: 'decimals' is not a key of field 'b'; it applies to fields of type 'amount'",
            "rules.yaml:8:22: error[unknown-key]: unknown key 'nulable' in field 'c'; did you mean 'nullable'?",
        ]),
        Case(code: .invalidValue, yaml: header + "fields:\n  a: { type: amount, nullable: yes }\n  b: { type: amount, nullable: [true] }\n  c: { type: amount, nullable: }\n", expected: [
            "rules.yaml:6:32: error[invalid-value]: 'nullable' of field 'a' must be true or false, not 'yes'",
            "rules.yaml:7:32: error[invalid-value]: 'nullable' of field 'b' must be true or false, not a list",
            "rules.yaml:8:32: error[invalid-value]: 'nullable' of field 'c' must be true or false, not ''",
        ]),
        Case(code: .invalidParameter, yaml: header + "fields:\n  a: { type: amount, compare: { tolerance: 5, tolerance_bps: x } }\n"
                 + "  b: { type: amount, compare: { tolerance: -5, tolerance_bps: 10 } }\n"
                 + "  c: { type: enum, values: [x], compare: { tolerance: 5, map: { \"0\": x } } }\n", expected: [
            "rules.yaml:6:62: error[invalid-parameter]: tolerance_bps must be a whole number, not 'x'",
            "rules.yaml:7:44: error[invalid-parameter]: tolerance must be 0 or more, not -5",
            "rules.yaml:8:44: error[comparator-type-mismatch]: comparator 'tolerance' needs a number type (amount, integer, timestamp), but field 'c' is of type 'enum'",
            "rules.yaml:8:58: error[invalid-parameter]: 'compare' of field 'c' combines bounds only (tolerance, tolerance_bps), each passing on its own; 'map' is not one",
        ]),
        Case(code: .typeMismatch, yaml: header + "fields:\n  a: { type: amount, nullable: true }\ninvariants:\n  i: { assert: 5 is null }\n  j: { assert: \"a is nul\" }\n"
                 + "  k: { assert: a == null }\n", expected: [
            "rules.yaml:8:18: error[type-mismatch]: 'is null' tests a field, such as 'cancelled_at is null'; the left side is not a field name",
            "rules.yaml:9:22: error[expression-syntax]: expected 'null' or 'not null', found 'nul'",
            "rules.yaml:10:21: error[expression-syntax]: null is tested with 'FIELD is null' or 'FIELD is not null'; it is not a value",
        ]),
    ]

    @Test(arguments: errors)
    func refusesWithAPosition(_ test: Case) {
        #expect(lint(test.yaml) == test.expected)
        #expect(RulesCompiler().compile(yaml: test.yaml, file: "rules.yaml").ruleSet == nil)
    }

    @Test func nullAndIsAreKeywordsNotFieldNames() {
        #expect(lint(Self.header + "fields:\n  null: { type: amount }\n") == [
            "rules.yaml:6:3: error[invalid-name]: field name 'null' must be a name expressions can use: letters, digits and '_', not a keyword",
        ])
    }
}
