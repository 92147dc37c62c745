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
        #expect(lint("version: 1\nkey: { db: id, db: other }\n") == [
            "rules.yaml:2:8: error[duplicate-key]: 'db' is defined twice in one mapping (first at line 2); keep one",
        ])
    }

    @Test func billionLaughsIsRefusedBeforeComposing() {
        var yaml = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        for (previous, name) in zip(names, names.dropFirst()) {
            yaml += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]\n"
        }
        yaml += "? *i\n: boom\n"
        #expect(lint(yaml) == [
            "rules.yaml:2:8: error[alias-not-supported]: '*a' is a YAML alias; rules files may not use aliases: write the value out (quote text that starts with '*')",
        ])
    }

    @Test func anchorsWithoutAliasesAreFine() throws {
        _ = try compile(demoRules.replacingOccurrences(of: "db: { table: streams }", with: "db: &db { table: streams }"))
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
