import Foundation
import ReconEngine
import Testing

/// Whatever an operator typed at 2 am gets a diagnostic: never a crash or a hang.
struct BadInputTests {
    func lintFile(named name: String, contents: Data) throws -> [String] {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent(name)
        try contents.write(to: url)
        return RulesCompiler().compile(path: url.path).diagnostics.map {
            $0.description.replacingOccurrences(of: directory.path + "/", with: "")
        }
    }

    @Test func emptyFile() throws {
        #expect(try lintFile(named: "empty.yaml", contents: Data()) == [
            "empty.yaml:1:1: error[empty-file]: rules file is empty; it needs at least 'version: 1', 'name', 'key', 'db' and 'fields'",
        ])
    }

    @Test func binaryFile() throws {
        #expect(try lintFile(named: "binary.yaml", contents: Data([0xff, 0xfe, 0x00, 0x12, 0x80])) == [
            "binary.yaml:1:1: error[not-text]: rules file is not UTF-8 text",
        ])
    }

    @Test func yamlList() {
        #expect(lint("- version: 1\n- name: t\n") == [
            "rules.yaml:1:1: error[wrong-node-kind]: the rules file must be a mapping of keys to values, not a list",
        ])
    }

    @Test func fiftyMegabytes() throws {
        let big = Data(repeating: UInt8(ascii: "#"), count: 50 << 20)
        #expect(try lintFile(named: "big.yaml", contents: big) == [
            "big.yaml:1:1: error[file-too-large]: rules file is 52428800 bytes; the limit is 1048576 bytes (1 MiB)",
        ])
    }

    @Test func deeplyNestedFlow() {
        let diagnostics = lint("fields: " + String(repeating: "[", count: 100_000))
        #expect(diagnostics == ["rules.yaml:1:10: error[yaml-syntax]: YAML is nested more than 1000 levels deep; a rules file needs four"])
    }

    @Test func deeplyNestedBlock() {
        let yaml = (0..<2000).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n")
        let diagnostics = lint(yaml)
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.hasSuffix("error[yaml-syntax]: YAML is nested more than 1000 levels deep; a rules file needs four") == true)
    }

    @Test func tabIndentation() {
        #expect(lint("version: 1\nfields:\n\ttotal: { type: amount }\n") == [
            "rules.yaml:3:1: error[yaml-syntax]: found character that cannot start any token (while scanning for the next token at line 3, column 1); indent with spaces, not tabs",
        ])
    }

    @Test func duplicateKeysAtTopLevel() {
        #expect(lint(demoRules + "\nname: again\n") == [
            "rules.yaml:20:1: error[duplicate-key]: 'name' is defined twice in one mapping (first at line 2); keep one",
        ])
    }

    @Test func duplicateKeysInAFlowMapping() {
        let diagnostics = lint("version: 1\nkey: { db: id, db: other }\n")
        #expect(diagnostics.contains("rules.yaml:2:16: error[duplicate-key]: 'db' is defined twice in one mapping (first at line 2); keep one"))
        #expect(diagnostics.contains("rules.yaml:1:1: error[missing-key]: the rules file is missing 'name'; name the rule set, such as 'name: payment-streams'"))
    }

    @Test func everyDuplicateAndEveryOtherProblemIsReported() {
        let yaml = demoRules.replacingOccurrences(of: "  recipient: { type: address }", with: """
          recipient: { type: address }
          recipient: { type: adress }
          status: { type: string }
          recipient: { type: string, compare: exakt }
          extra: { type: amout }
        """)
        #expect(lint(yaml) == [
            "rules.yaml:14:3: error[duplicate-key]: 'recipient' is defined twice in one mapping (first at line 13); keep one",
            "rules.yaml:15:3: error[duplicate-key]: 'status' is defined twice in one mapping (first at line 8); keep one",
            "rules.yaml:16:3: error[duplicate-key]: 'recipient' is defined twice in one mapping (first at line 13); keep one",
            "rules.yaml:17:18: error[unknown-type]: unknown type 'amout'; did you mean 'amount'?",
        ])
    }

    @Test func windowsAndOldMacLineEndingsAndAByteOrderMark() throws {
        for newline in ["\r\n", "\r"] {
            let yaml = "\u{FEFF}" + demoRules.replacingOccurrences(of: "\n", with: newline)
            _ = try compile(yaml)
            let broken = yaml.replacingOccurrences(of: "assert: released_amount <= total_amount", with: "assert: released_amount <= totl_amount")
            #expect(lint(broken) == ["rules.yaml:18:32: error[unknown-field]: unknown field 'totl_amount'; did you mean 'total_amount'?"])
        }
    }

    @Test func hugeExpressionsAreRefusedNotOverflowed() {
        let assert = Array(repeating: "a >= 0", count: 1500).joined(separator: " and ")
        let diagnostics = lint(rules(fields: "  a: { type: amount }", invariants: "  big: { assert: \"\(assert)\" }"))
        #expect(diagnostics == ["rules.yaml:8:1423: error[expression-syntax]: expression has more than 256 operators; split it into several invariants"])
    }

    @Test(.timeLimit(.minutes(1)))
    func suggestionsStayCheapOnLargeFiles() {
        let values = (0..<1500).map { "v\($0)" }.joined(separator: ", ")
        let map = (0..<1500).map { "\"\($0)\": w\($0)" }.joined(separator: ", ")
        let diagnostics = lint(rules(fields: "  s: { type: enum, values: [\(values)], compare: { map: { \(map) } } }"))
        #expect(diagnostics.count == 1500)
        #expect(diagnostics.first?.hasSuffix("(v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, … (1500 in all)); did you mean 'v0'?") == false)
        let longName = String(repeating: "x", count: 400_000)
        let fields = (0..<4000).map { "  f\($0): { type: amount }" }.joined(separator: "\n")
        let long = lint(rules(fields: fields, invariants: "  i: { assert: \(longName) > 0 }"))
        #expect(long.first?.hasSuffix("fields are f0, f1, f10, f100, f1000, f1001, f1002, f1003, f1004, f1005, f1006, f1007, … (4000 in all)") == true)
    }

    @Test func billionLaughsIsRefusedBeforeComposing() {
        var yaml = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        for (previous, name) in zip(names, names.dropFirst()) {
            yaml += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]\n"
        }
        yaml += "? *i\n: boom\n"
        #expect(lint(yaml) == [
            "rules.yaml:1:4: error[anchor-not-supported]: '&a' starts a YAML anchor; rules files may not use anchors or aliases, "
                + "which can expand exponentially: write the values out (in text, reword so no '&' starts a word)",
        ])
    }

    /// Inputs that got past an earlier alias scanner: quotes it misread, CRLF lines, merge keys.
    @Test(arguments: [
        "description: -'x\na: &a {type: amount}\nb: *a\n",
        "description: foo\n  'bar\na: &a [1]\nb: *a\n",
        "version: 1\r\na: &a [1]\r\nb: *a\r\n",
        "version: 1\ra: &a [1]\rb: *a\r",
        "defaults: &d { type: amount }\nfields:\n  a: { <<: *d }\n",
        "x: \"quoted &anchor-looking text\"\n",
        "x: [&a 1, *a]\n",
        "x: {k:&a 1}\n",
    ])
    func anchorsAreRefusedWhereverTheyHide(_ yaml: String) {
        let diagnostics = lint(yaml)
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.contains("error[anchor-not-supported]") == true)
    }

    @Test func ampersandsInsideWordsAreText() throws {
        _ = try compile(demoRules.replacingOccurrences(of: "name: payment-streams", with: "name: R&D streams\ndescription: Q&A, a & b, 5&6"))
    }

    @Test func textStartingWithAStarIsNotAnAlias() throws {
        let yaml = demoRules.replacingOccurrences(of: "name: payment-streams", with: """
        name: "*starred*"
        description: |
          *not an alias*
            *nor this*
        """).replacingOccurrences(of: "released-within-total:\n", with: "released-within-total: # *comment\n")
        _ = try compile(yaml)
    }

    @Test func multipleDocuments() {
        #expect(lint(demoRules + "\n---\nversion: 1\n") == [
            "rules.yaml:20:1: error[yaml-syntax]: expected a single document in the stream at line 1, column 1, but found another document",
        ])
    }

    @Test func scalarsWhereMappingsBelong() {
        #expect(lint("version: 1\nname: t\nkey: id\ndb: streams\nfields: 3\ninvariants: []\n") == [
            "rules.yaml:3:6: error[wrong-node-kind]: 'key' must be a mapping of keys to values, not a single value",
            "rules.yaml:4:5: error[wrong-node-kind]: 'db' must be a mapping of keys to values, not a single value",
            "rules.yaml:5:9: error[wrong-node-kind]: 'fields' must be a mapping of keys to values, not a single value",
            "rules.yaml:6:13: error[wrong-node-kind]: 'invariants' must be a mapping of keys to values, not a list",
        ])
    }

    @Test func nonScalarKeysAndEmptyFields() {
        #expect(lint("version: 1\nname: t\nkey: { db: id, chain: id }\ndb: { table: s }\nfields: {}\n[a]: 1\n") == [
            "rules.yaml:5:9: error[missing-key]: 'fields' is empty; map at least one field",
            "rules.yaml:6:1: error[wrong-node-kind]: keys of the rules file must be names, not a list",
        ])
    }
}
