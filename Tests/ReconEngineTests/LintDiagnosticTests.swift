import Foundation
import ReconEngine
import Testing

/// Every lint code, each with a rules text that triggers it and the exact diagnostics.
struct LintDiagnosticTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var code: DiagnosticCode
        var yaml: String
        var expected: [String]
        var testDescription: String { code.rawValue }
    }

    static let header = "version: 1\nname: t\nkey: { db: id, chain: id }\ndb: { table: streams }\n"

    static let cases: [Case] = [
        Case(code: .emptyFile, yaml: "# only a comment\n", expected: [
            "rules.yaml:1:1: error[empty-file]: rules file is empty; it needs at least 'version: 1', 'name', 'key', 'db' and 'fields'",
        ]),
        Case(code: .notText, yaml: "version: 1\u{0}\n", expected: [
            "rules.yaml:1:1: error[not-text]: rules file contains NUL bytes; it is not a text file",
        ]),
        Case(code: .yamlSyntax, yaml: "version: 1\nname: [unclosed\n", expected: [
            "rules.yaml:3:1: error[yaml-syntax]: did not find expected ',' or ']' (while parsing a flow sequence at line 2, column 7)",
        ]),
        Case(code: .anchorNotSupported, yaml: header + "fields:\n  a: &base { type: amount }\n  b: *base\n", expected: [
            "rules.yaml:6:6: error[anchor-not-supported]: '&base' starts a YAML anchor; rules files may not use anchors or aliases, "
                + "which can expand exponentially: write the values out (in text, reword so no '&' starts a word)",
        ]),
        Case(code: .duplicateKey, yaml: header + "fields:\n  total:\n    type: amount\n  total:\n    type: integer\n  off: { type: amount }\n  \"off\": { type: amount }\n", expected: [
            "rules.yaml:8:3: error[duplicate-key]: 'total' is defined twice in one mapping (first at line 6); keep one",
            "rules.yaml:11:3: error[duplicate-key]: 'off' is defined twice in 'fields' (first at line 10); keep one",
        ]),
        Case(code: .duplicateValue, yaml: header + "fields:\n  s: { type: enum, values: [a, b, a] }\ninvariants:\n  i: { on: [db, db], assert: s == 'a' }\n", expected: [
            "rules.yaml:6:35: error[duplicate-value]: 'a' is listed twice in 'values'",
            "rules.yaml:8:17: error[duplicate-value]: side 'db' is listed twice in 'on'",
        ]),
        Case(code: .wrongNodeKind, yaml: header + "fields:\n  a: amount\n  b:\n    type: [amount]\n    compare: [exact, ignore]\n", expected: [
            "rules.yaml:6:6: error[wrong-node-kind]: field 'a' must be a mapping of keys to values, not a single value",
            "rules.yaml:8:11: error[wrong-node-kind]: 'type' of field 'b' must be a single value, not a list",
            "rules.yaml:9:14: error[wrong-node-kind]: 'compare' of field 'b' must name one comparator, such as 'compare: exact' or 'compare: { tolerance: 5 }'",
        ]),
        Case(code: .unknownKey, yaml: header + "feilds:\n  a: { type: amount }\nfields:\n  a: { type: amount, colour: red, values: [x] }\n", expected: [
            "rules.yaml:5:1: error[unknown-key]: unknown key 'feilds' in the rules file; did you mean 'fields'?",
            "rules.yaml:8:22: error[unknown-key]: unknown key 'colour' in field 'a'; expected one of type, db, chain, compare, nullable, severity, description, decimals",
            "rules.yaml:8:35: error[unknown-key]: 'values' is not a key of field 'a'; it applies to fields of type 'enum'",
        ]),
        Case(code: .missingKey, yaml: "name: t\nkey: { db: id }\ndb: {}\nfields:\n  a: { db: a }\n  s: { type: enum }\ninvariants:\n  i: { when: a > 0 }\n", expected: [
            "rules.yaml:1:1: error[missing-key]: the rules file is missing 'version'; write 'version: 1'",
            "rules.yaml:2:6: error[missing-key]: 'key' is missing 'chain'; name the on-chain field that holds the stream id",
            "rules.yaml:3:5: error[missing-key]: 'db' is missing 'table'; name the streams table, such as 'table: streams'",
            "rules.yaml:5:6: error[missing-key]: field 'a' is missing 'type'; give its type, one of amount, integer, string, address, enum, bool, timestamp",
            "rules.yaml:6:14: error[missing-key]: field 's' of type 'enum' needs 'values', the list of accepted names",
            "rules.yaml:8:6: error[missing-key]: invariant 'i' is missing 'assert'; write the condition that must hold, such as 'assert: released_amount <= total_amount'",
        ]),
        Case(code: .invalidValue, yaml: "version: 2\nname: ''\nkey: { db: id, chain: id }\ndb: { table: streams }\nfields:\n  a: { type: amount, severity: critcal }\ninvariants:\n  i: { on: [dbs], assert: a > 0 }\n", expected: [
            "rules.yaml:1:10: error[invalid-value]: rules version '2' is not supported; this streamrecon reads 'version: 1'",
            "rules.yaml:2:7: error[invalid-value]: 'name' of the rules file is empty; give it a value",
            "rules.yaml:6:32: error[invalid-value]: unknown severity 'critcal'; did you mean 'critical'?",
            "rules.yaml:8:13: error[invalid-value]: unknown side 'dbs'; did you mean 'db'?",
        ]),
        Case(code: .invalidName, yaml: header + "fields:\n  total-amount: { type: amount, db: total_amount }\n  and: { type: amount }\n", expected: [
            "rules.yaml:6:3: error[invalid-name]: field name 'total-amount' must be a name expressions can use: letters, digits and '_', not a keyword",
            "rules.yaml:7:3: error[invalid-name]: field name 'and' must be a name expressions can use: letters, digits and '_', not a keyword",
        ]),
        Case(code: .unsafeIdentifier, yaml: "version: 1\nname: t\nkey: { db: \"id\\\"--\", chain: id }\ndb: { table: \"streams; DROP TABLE streams\" }\nfields:\n  a: { type: amount, db: \"a b\" }\n", expected: [
            "rules.yaml:3:12: error[unsafe-identifier]: key column 'id\"--' is not a plain SQL identifier; use letters, digits and '_', starting with a letter or '_' (at most 63)",
            "rules.yaml:4:14: error[unsafe-identifier]: table 'streams; DROP TABLE streams' is not a plain SQL identifier; use letters, digits and '_', starting with a letter or '_' (at most 63)",
            "rules.yaml:6:26: error[unsafe-identifier]: column 'a b' is not a plain SQL identifier; use letters, digits and '_', starting with a letter or '_' (at most 63)",
        ]),
        Case(code: .unknownType, yaml: header + "fields:\n  a: { type: amout }\n  b: { type: money }\n", expected: [
            "rules.yaml:6:14: error[unknown-type]: unknown type 'amout'; did you mean 'amount'?",
            "rules.yaml:7:14: error[unknown-type]: unknown type 'money'; types are amount, integer, string, address, enum, bool, timestamp",
        ]),
        Case(code: .unknownComparator, yaml: header + "fields:\n  a: { type: amount, compare: exakt }\n  b: { type: amount, compare: { tolerence: 5 } }\n", expected: [
            "rules.yaml:6:31: error[unknown-comparator]: unknown comparator 'exakt'; did you mean 'exact'?",
            "rules.yaml:7:33: error[unknown-comparator]: unknown comparator 'tolerence'; did you mean 'tolerance'?",
        ]),
        Case(code: .comparatorTypeMismatch, yaml: header + "fields:\n  a: { type: string, compare: { tolerance: 5 } }\n  b: { type: amount, compare: ignore_case }\n  c: { type: amount, compare: { map: { \"0\": x } } }\n", expected: [
            "rules.yaml:6:33: error[comparator-type-mismatch]: comparator 'tolerance' needs a number type (amount, integer, timestamp), but field 'a' is of type 'string'",
            "rules.yaml:7:31: error[comparator-type-mismatch]: comparator 'ignore_case' needs a text type (string, address, enum), but field 'b' is of type 'amount'",
            "rules.yaml:8:33: error[comparator-type-mismatch]: comparator 'map' needs an enum field, but field 'c' is of type 'amount'",
        ]),
        Case(code: .invalidParameter, yaml: header + "fields:\n  a: { type: amount, compare: { tolerance: lots } }\n  b: { type: amount, compare: { tolerance_bps: -1 } }\n  c: { type: amount, compare: tolerance }\n  d: { type: amount, compare: { exact: 3 } }\n  e: { type: enum, values: x }\n", expected: [
            "rules.yaml:6:44: error[invalid-parameter]: tolerance must be a whole number, not 'lots'",
            "rules.yaml:7:48: error[invalid-parameter]: tolerance_bps must be 0 or more, not -1",
            "rules.yaml:8:31: error[invalid-parameter]: comparator 'tolerance' needs a parameter; write 'compare: { tolerance: 5 }'",
            "rules.yaml:9:40: error[invalid-parameter]: comparator 'exact' takes no parameter; write 'compare: exact'",
            "rules.yaml:10:28: error[invalid-parameter]: 'values' must be a list such as [a, b], not a single value",
        ]),
        Case(code: .enumMapValue, yaml: header + "fields:\n  s:\n    type: enum\n    values: [pending, active]\n    compare: { map: { \"0\": pending, \"1\": actve, \"2\": done } }\n", expected: [
            "rules.yaml:9:42: error[enum-map-value]: map value 'actve' is not one of the values of field 's' (pending, active); did you mean 'active'?",
            "rules.yaml:9:54: error[enum-map-value]: map value 'done' is not one of the values of field 's' (pending, active)",
        ]),
        Case(code: .expressionSyntax, yaml: header + "fields:\n  a: { type: amount }\ninvariants:\n  i: { assert: a >= 0 and }\n  j: { assert: a = 0 }\n  k: { assert: 0 <= a <= 5 }\n  l: { assert: a * 2 > 0 }\n", expected: [
            "rules.yaml:8:26: error[expression-syntax]: expected a field name, a number or '(', found the end of the expression",
            "rules.yaml:9:18: error[expression-syntax]: unexpected '='; compare with '=='",
            "rules.yaml:10:23: error[expression-syntax]: comparisons cannot be chained; join them with 'and'",
            "rules.yaml:11:18: error[expression-syntax]: operator '*' is not supported; expressions use + and - only",
        ]),
        Case(code: .unknownField, yaml: header + "fields:\n  total_amount: { type: amount }\ninvariants:\n  i: { assert: totl_amount > 0 }\n  j: { assert: deposited > 0 }\n", expected: [
            "rules.yaml:8:16: error[unknown-field]: unknown field 'totl_amount'; did you mean 'total_amount'?",
            "rules.yaml:9:16: error[unknown-field]: unknown field 'deposited'; fields are total_amount",
        ]),
        Case(code: .unknownFunction, yaml: header + "fields:\n  a: { type: amount }\ninvariants:\n  i: { assert: ab(a) > 0 }\n  j: { assert: \"abs(a, a) > 0\" }\n", expected: [
            "rules.yaml:8:16: error[unknown-function]: unknown function 'ab'; did you mean 'abs'?",
            "rules.yaml:9:17: error[unknown-function]: 'abs' takes 1 argument, not 2",
        ]),
        Case(code: .typeMismatch, yaml: header + "fields:\n  a: { type: amount }\n  r: { type: address }\n  t: { type: timestamp }\ninvariants:\n  i: { assert: a == r }\n  j: { assert: a + t > 0 }\n  k: { assert: a }\n  l: { assert: r < r }\n", expected: [
            "rules.yaml:10:18: error[type-mismatch]: cannot compare 'a' (amount) with 'r' (address); compare values of one type",
            "rules.yaml:11:18: error[type-mismatch]: '+' cannot combine 'a' (amount) with 't' (timestamp); use values of one type",
            "rules.yaml:12:16: error[type-mismatch]: the expression must be true or false, but it is 'a' (amount)",
            "rules.yaml:13:18: error[type-mismatch]: '<' orders numbers and timestamps only; 'r' (address) can be compared with == or !=",
        ]),
        Case(code: .unknownEnumValue, yaml: header + "fields:\n  s: { type: enum, values: [active, cancelled] }\ninvariants:\n  i: { assert: s != \"canceled\" }\n", expected: [
            "rules.yaml:8:21: error[unknown-enum-value]: 'canceled' is not one of the values of 's' (enum); did you mean 'cancelled'?",
        ]),
        Case(code: .invalidContract, yaml: header + "evm:\n  contract: 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD\n  confirmations: 12\n"
                 + "fields:\n  a: { type: amount, chain: \"getA(uint256) returns (uint128)\" }\n", expected: [
            "rules.yaml:6:13: error[invalid-contract]: 'contract' of 'evm': '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD' has mixed case "
                + "that is not its EIP-55 checksum; check the address for a typo",
        ]),
        Case(code: .invalidView, yaml: header + evm + "  count: nextStreamId(uint256) returns (uint256)\nfields:\n"
                 + "  a: { type: amount, chain: \"getA(uint257) returns (uint128)\" }\n  b: { type: amount, chain: getB(address) returns (uint128) }\n"
                 + "  c: { type: amount }\n", expected: [
            "rules.yaml:8:10: error[invalid-view]: 'count' of 'evm' must take no arguments, such as 'nextStreamId() returns (uint256)'",
            "rules.yaml:10:35: error[invalid-view]: 'chain' of field 'a': unknown ABI type 'uint257'; uintN takes N from 8 to 256 in steps of 8",
            "rules.yaml:11:29: error[invalid-view]: 'chain' of field 'b' must take the stream id alone, as 'getB(uint256)', not 'getB(address)'",
            "rules.yaml:12:3: error[invalid-view]: field 'c' reads the chain through 'evm': its 'chain' must be the view call that reads it, "
                + "such as 'chain: getWithdrawnAmount(uint256) returns (uint128)'",
        ]),
        Case(code: .invalidEvent, yaml: header + evm + "  events:\n"
                 + "    - { event: \"Withdraw(uint256 indexed streamId, uint257 x)\", id: streamId }\n"
                 + "    - { event: \"Cancel(uint256 streamId)\", id: id }\n"
                 + "    - { event: \"Mint(address indexed to)\", id: to }\n"
                 + "fields:\n  a: { type: amount, chain: getA(uint256) returns (uint128) }\n", expected: [
            "rules.yaml:9:52: error[invalid-event]: 'event' of an 'events' entry: unknown ABI type 'uint257'",
            "rules.yaml:10:48: error[invalid-event]: 'id' is not a parameter of Cancel; its parameters are streamId",
            "rules.yaml:11:48: error[invalid-event]: 'to' of Mint is not an unsigned integer (uintN), so it cannot hold a stream id",
        ]),
        Case(code: .viewTypeMismatch, yaml: header + evm + "  count: nextStreamId() returns (int256)\nfields:\n"
                 + "  a: { type: amount, chain: getA(uint256) returns (address) }\n  r: { type: address, chain: getR(uint256) returns (uint160) }\n", expected: [
            "rules.yaml:8:10: error[view-type-mismatch]: 'count' of 'evm' returns int256; it must return an unsigned integer (uintN)",
            "rules.yaml:10:29: error[view-type-mismatch]: 'getA' returns address, which cannot hold field 'a' of type 'amount'",
            "rules.yaml:11:30: error[view-type-mismatch]: 'getR' returns uint160, which cannot hold field 'r' of type 'address'",
        ]),
    ]

    static let evm = "evm:\n  contract: \"0x0000000000000000000000000000000000000000\"\n  confirmations: 12\n"

    @Test(arguments: cases)
    func reportsExactLocationAndMessage(_ test: Case) {
        #expect(lint(test.yaml) == test.expected)
        #expect(RulesCompiler().compile(yaml: test.yaml, file: "rules.yaml").ruleSet == nil)
        #expect(test.expected.allSatisfy { $0.contains("[\(test.code.rawValue)]") })
    }

    @Test func everyCodeHasACase() {
        let fileCodes: Set<DiagnosticCode> = [.unreadableFile, .fileTooLarge, .noRulesFiles] // LintFileTests
        let warningCodes = Set(RealSchemaLintTests.warnings.map(\.code))
        let ackCodes: Set<DiagnosticCode> = [.expiredAck] // acks files: AckLoaderTests
        #expect(Set(Self.cases.map(\.code)).union(fileCodes).union(warningCodes).union(ackCodes) == Set(DiagnosticCode.allCases))
    }
}
