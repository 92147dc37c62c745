import ReconEngine
import Testing

/// The `assert` / `when` language: precedence, types, functions, and error positions.
struct ExpressionTests {
    static let fields = """
      a: { type: amount }
      b: { type: amount }
      n: { type: integer }
      t: { type: timestamp }
      s: { type: enum, values: [x, y] }
      r: { type: address }
      f: { type: bool }
      name: { type: string }
    """
    static let values: [RawValue] = ["5", "3", 2, 1_700_000_000, "x", "0x52908400098527886E0F7030069857D2E4169EE7", true, "it"]

    /// Whether `expression` holds for the record above (a=5, b=3, n=2, s=x, f=true, ...).
    func holds(_ expression: String, when guardExpression: String? = nil, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Bool {
        let escaped = expression.replacingOccurrences(of: "\"", with: "\\\"")
        var invariant = "  i:\n    on: [db]\n    assert: \"\(escaped)\""
        if let guardExpression { invariant += "\n    when: \"\(guardExpression)\"" }
        let ruleSet = try compile(rules(fields: Self.fields, invariants: invariant), sourceLocation: sourceLocation)
        return ruleSet.reconcile(streamId: "s", db: Self.values, chain: nil).allSatisfy { $0.kind != .invariantViolation }
    }

    /// The diagnostics of `expression`, without the position prefix.
    func errors(_ expression: String) -> [String] {
        let escaped = expression.replacingOccurrences(of: "\"", with: "\\\"")
        return RulesCompiler().compile(yaml: rules(fields: Self.fields, invariants: "  i: { assert: \"\(escaped)\" }"), file: "r.yaml")
            .diagnostics.map { "\($0.location.column): \($0.message)" }
    }

    @Test(arguments: [
        ("a > b", true), ("a < b", false), ("a >= 5 and a <= 5", true), ("a == 5", true), ("a != 5", false),
        ("not a > 1 and b > 1", false), ("not (a > 1 and b > 10)", true),
        ("a > 10 or b > 1 and false", false), ("a > 1 or b > 10 and false", true),
        ("a - b - 1 == 1", true), ("a - (b - 1) == 3", true), ("-a + b == -2", true), ("- -a == a", true), ("(a + b) - 1 == a + (b - 1)", true),
        ("not not f", true), ("f == true", true), ("f != false", true), ("true", true), ("false or f", true),
        ("s == 'x' or s == \"y\"", true), ("s != 'y'", true), ("r == r", true), ("name == 'it'", true),
        ("t > 1699999999", true), ("t == t", true), ("n + 1 == 3", true), ("1 + 1 == 2", true),
        ("abs(b - a) == 2", true), ("min(a, b, 4) == 3", true), ("max(a, 0) >= 0", true), ("max(a, b) - min(a, b) == abs(a - b)", true),
        ("170141183460469231731687303715884105727 > a", true), ("-170141183460469231731687303715884105727 - 1 < a", true),
    ])
    func evaluates(_ expression: String, _ expected: Bool) throws {
        #expect(try holds(expression) == expected)
    }

    @Test func whenGuardSkipsTheAssert() throws {
        #expect(try holds("a < b", when: "s == 'y'"))
        #expect(try !holds("a < b", when: "s == 'x'"))
    }

    @Test(arguments: [
        ("not a", "17: 'not' needs true or false, but 'a' (amount) is not"),
        ("-t > 0", "17: '-' needs an amount or integer, but 't' (timestamp) is timestamp"),
        ("a and f", "19: 'and' joins conditions, but 'a' (amount) is amount; compare it with something"),
        ("f or a", "19: 'or' joins conditions, but 'a' (amount) is amount; compare it with something"),
        ("s + 1 > 0", "19: '+' needs numbers, but 's' (enum) is enum"),
        ("t + 1 > t", "19: '+' needs amounts or integers, not timestamp values"),
        ("abs(t) > 0", "21: 'abs' takes amounts or integers, but 't' (timestamp) is timestamp"),
        ("min(a, n) > 0", "24: 'min' cannot combine 'a' (amount) with 'n' (integer); use values of one type"),
        ("f < f", "19: '<' orders numbers and timestamps only; 'f' (bool) can be compared with == or !="),
        ("a == 'x'", "19: cannot compare 'a' (amount) with the string \"x\"; compare values of one type"),
        ("n == a", "19: '==' cannot combine 'n' (integer) with 'a' (amount); use values of one type"),
        ("r == name", "19: '==' cannot combine 'r' (address) with 'name' (string); use values of one type"),
        ("a + 1", "17: the expression must be true or false, but it is an amount"),
        ("1701411834604692317316873037158841057270 > a", "17: integer literal 1701411834604692317316873037158841057270 does not fit in a signed 128-bit integer"),
        ("12abc > a", "17: malformed number; integer literals are decimal digits only"),
        ("name == 'open", "25: string literal is not closed; add '"),
        ("   ", "17: expression is empty"),
        ("a > 0 && b > 0", "23: '&&' starts a YAML anchor; rules files may not use anchors or aliases, which can expand exponentially: "
            + "write the values out (in text, reword so no '&' starts a word); in an expression, write 'and' for '&&'"),
        ("a > 0&& b > 0", "22: unexpected '&&'; write 'and'"),
        ("a > 0 || b > 0", "23: unexpected '||'; write 'or'"),
        ("!f", "17: unexpected '!'; write 'not'"),
        ("a > 0 $", "23: unexpected character '$'"),
        ("(a > 0", "23: expected ')', found the end of the expression"),
        ("a > 0)", "22: expected an operator or the end of the expression, found ')'"),
        ("abs(a b) > 0", "23: expected ',' or ')', found 'b'"),
        (String(repeating: "(", count: 70) + "f" + String(repeating: ")", count: 70), "82: expression is nested more than 64 levels deep"),
        (String(repeating: "not ", count: 70) + "f", "277: expression is nested more than 64 levels deep"),
    ])
    func reportsTypeAndSyntaxErrors(_ expression: String, _ expected: String) {
        #expect(errors(expression) == [expected])
    }

    @Test func callsWithoutArgumentsAndStrayTokens() {
        #expect(errors("max() > 0") == ["17: 'max' takes 2 to 16 arguments, not 0"])
        #expect(errors("f f") == ["19: expected an operator or the end of the expression, found 'f'"])
        #expect(errors("a > 'x' 5") == ["25: expected an operator or the end of the expression, found '5'"])
    }

    @Test func positionsFollowTheScalarStyle() {
        let yaml = rules(fields: "  total: { type: amount }\n  name: { type: string }", invariants: """
          plain:
            assert: total >= 0 and totl > 0
          double:
            assert: "total >= 0 and \\"x\\" == name and totl > 0"
          single:
            assert: 'name == ''x'' and totl > 0'
          folded:
            assert: >-
              total >= 0 and
                totl > 0
          literal:
            assert: |
              total >= 0
              and totl > 0
          multiline:
            assert: total >= 0
              and totl > 0
        """)
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        let found = RulesCompiler().compile(yaml: yaml, file: "r.yaml").diagnostics.map { diagnostic in
            let line = Array(lines[diagnostic.location.line - 1].unicodeScalars)
            return String(String.UnicodeScalarView(line[(diagnostic.location.column - 1)...].prefix(4)))
        }
        #expect(found == Array(repeating: "totl", count: 6))
    }
}
