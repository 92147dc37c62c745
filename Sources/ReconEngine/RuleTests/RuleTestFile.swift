import Foundation
import Yams

/// A rule test file (`*.test.yaml`): the rules file it tests and its cases, each a DB row
/// and/or an on-chain record as a source would give them, and the findings expected.
public struct RuleTestFile: Sendable {
    public struct Expectation: Sendable, Hashable, CustomStringConvertible {
        public var kind: FindingKind
        public var field: String?
        public var rule: String?
        public var side: Side?

        /// Whether `finding` is what this expects, on the keys it gives.
        public func matches(_ finding: Finding) -> Bool {
            finding.kind == kind && (field == nil || finding.field == field) && (rule == nil || finding.rule == rule)
                && (side == nil || finding.side == side)
        }

        var keyCount: Int { [field, rule, side?.rawValue].compactMap { $0 }.count }

        /// `mismatch released_amount`, `invariant_violation rule=released-within-total side=db`.
        public var description: String {
            ([kind.rawValue] + [field, rule.map { "rule=\($0)" }, side.map { "side=\($0.rawValue)" }].compactMap { $0 }).joined(separator: " ")
        }
    }

    public struct Case: Sendable {
        public var name: String
        /// Where the case starts in the test file.
        public var location: TextLocation
        /// Raw values by DB column / on-chain field; nil when the case has no record on that side.
        public var db: [String: RawValue]?
        public var chain: [String: RawValue]?
        public var expect: [Expectation]
    }

    public var path: String
    /// The rules file, resolved against the test file's directory.
    public var rulesPath: String
    public var ruleSet: CompiledRuleSet
    public var cases: [Case]
}

/// Reads and checks a rule test file, reporting every problem with its line and column.
public struct RuleTestLoader: Sendable {
    /// Cases per file: a test file is written by hand; more is a mistake, refused with a message.
    public static let maxCases = 10_000
    static let topKeys = ["rules", "description", "cases"]
    static let caseKeys = ["name", "description", "db", "chain", "expect"]
    static let expectKeys = ["kind", "field", "rule", "side"]

    public var compiler: RulesCompiler

    public init(compiler: RulesCompiler = RulesCompiler()) {
        self.compiler = compiler
    }

    public struct Result: Sendable {
        public var file: RuleTestFile?
        public var diagnostics: [Diagnostic]
    }

    /// Whether `path` names a rule test file rather than a rules file.
    public static func isTestFile(_ path: String) -> Bool {
        path.hasSuffix(".test.yaml") || path.hasSuffix(".test.yml")
    }

    public func load(path: String) -> Result {
        let sink = DiagnosticSink()
        guard let text = RulesDocument.read(path: path, sink: sink, what: "test file"),
              let (root, _) = RulesDocument.parse(RulesDocument.normalized(text), file: path, sink: sink, what: "test file", needs: "'rules' and 'cases'"),
              let top = MappingReader(root, what: "the test file", allowed: Self.topKeys, file: path, sink: sink)
        else { return Result(file: nil, diagnostics: sink.diagnostics) }
        _ = top.scalar("description")
        var ruleSet: CompiledRuleSet?
        var rulesPath = ""
        if let rules = top.requiredScalar("rules", hint: "name the rules file it tests, relative to this file, such as 'rules: streams.yaml'") {
            let directory = (path as NSString).deletingLastPathComponent
            rulesPath = rules.value.hasPrefix("/") || directory.isEmpty ? rules.value : directory + "/" + rules.value
            if !FileManager.default.fileExists(atPath: rulesPath) {
                sink.error(.unreadableFile, at: rules.location, "rules file '\(rulesPath)' does not exist; 'rules' is relative to this test file")
            } else {
                let compiled = compiler.compile(path: rulesPath)
                ruleSet = compiled.ruleSet
                if ruleSet == nil {
                    let errors = compiled.diagnostics.filter { $0.severity == .error }
                    sink.error(.invalidValue, at: rules.location, "rules file '\(rulesPath)' does not compile (\(errors.count) error\(errors.count == 1 ? "" : "s")"
                        + (errors.first.map { ", first: \($0)" } ?? "") + "); run 'streamrecon rules lint \(rulesPath)'")
                }
            }
        }
        var cases: [RuleTestFile.Case] = []
        if let casesNode = top.required("cases", hint: "list the cases, each with 'name', 'db' and/or 'chain', and 'expect'") {
            guard case .sequence(let sequence) = casesNode else {
                sink.error(.wrongNodeKind, at: PluginParameter.location(of: casesNode, in: path), "'cases' must be a list of cases, not \(casesNode.kindName)")
                return Result(file: nil, diagnostics: sink.diagnostics)
            }
            if sequence.count > Self.maxCases {
                sink.error(.invalidValue, at: PluginParameter.location(of: casesNode, in: path),
                           "the test file has \(sequence.count) cases; at most \(Self.maxCases) per file: split it into several files")
                return Result(file: nil, diagnostics: sink.diagnostics)
            }
            if sequence.isEmpty { sink.error(.missingKey, at: PluginParameter.location(of: casesNode, in: path), "'cases' is empty; add a case") }
            var names: [String: Int] = [:]
            let columns = ruleSet.map { Names([$0.keyColumn] + $0.dbColumns) }
            let members = ruleSet.map { Names([$0.keyChainField] + $0.chainFields) }
            for (index, node) in sequence.enumerated() {
                guard let loaded = loadCase(node, number: index + 1, ruleSet: ruleSet, columns: columns, members: members, file: path, sink: sink)
                else { continue }
                if let first = names[loaded.name] {
                    sink.error(.duplicateValue, at: loaded.location, "case '\(loaded.name)' is named twice (first at line \(first)); give each case its own name")
                }
                names[loaded.name] = names[loaded.name] ?? loaded.location.line
                cases.append(loaded)
            }
        }
        guard let ruleSet, !sink.hasErrors else { return Result(file: nil, diagnostics: sink.diagnostics.sorted(by: Diagnostic.positionOrder)) }
        return Result(file: RuleTestFile(path: path, rulesPath: rulesPath, ruleSet: ruleSet, cases: cases), diagnostics: sink.diagnostics)
    }

    /// The names a case's row or record may use, listed (for "did you mean") and hashed.
    struct Names {
        var list: [String]
        var set: Set<String>
        init(_ list: [String]) { (self.list, set) = (list, Set(list)) }
    }

    private func loadCase(_ node: Node, number: Int, ruleSet: CompiledRuleSet?, columns: Names?, members: Names?, file: String,
                          sink: DiagnosticSink) -> RuleTestFile.Case? {
        let location = PluginParameter.location(of: node, in: file)
        let named = node.mapping?["name"]?.scalar.map { "case '\($0.string)'" } ?? "case \(number)"
        guard let reader = MappingReader(node, what: named, allowed: Self.caseKeys, file: file, sink: sink) else { return nil }
        _ = reader.scalar("description")
        let name = reader.requiredScalar("name", hint: "name the case, such as 'name: released drift'")?.value ?? "case \(number)"
        let what = "case '\(name)'"
        let db = reader.node("db").flatMap { record($0, side: "DB row", names: columns, what: what, file: file, sink: sink) }
        let chain = reader.node("chain").flatMap { record($0, side: "on-chain record", names: members, what: what, file: file, sink: sink) }
        if let ruleSet, let dbKey = db?[ruleSet.keyColumn]?.displayText, let chainKey = chain?[ruleSet.keyChainField]?.displayText, dbKey != chainKey {
            sink.error(.invalidValue, at: location, "\(what) pairs DB row '\(dbKey)' with on-chain record '\(chainKey)'; a case is one stream: give both the same "
                + "'\(ruleSet.keyColumn)' / '\(ruleSet.keyChainField)', or write two cases")
        }
        if reader.node("db") == nil, reader.node("chain") == nil {
            sink.error(.missingKey, at: location, "\(what) has neither 'db' nor 'chain'; give the DB row, the on-chain record or both")
        }
        var expect: [RuleTestFile.Expectation] = []
        if let expectNode = reader.required("expect", hint: "list the findings it must produce; 'expect: []' for a clean pair") {
            if case .sequence(let items) = expectNode {
                expect = items.compactMap { expectation($0, what: what, ruleSet: ruleSet, file: file, sink: sink) }
            } else {
                sink.error(.wrongNodeKind, at: PluginParameter.location(of: expectNode, in: file),
                           "'expect' of \(what) must be a list such as [{ kind: mismatch, field: released_amount }], not \(expectNode.kindName)")
            }
        }
        return RuleTestFile.Case(name: name, location: location, db: db, chain: chain, expect: expect)
    }

    /// A case's row or record: names the rules read, each a single raw value.
    private func record(_ node: Node, side: String, names: Names?, what: String, file: String, sink: DiagnosticSink) -> [String: RawValue]? {
        guard let reader = MappingReader(node, what: "the \(side) of \(what)", allowed: names?.list, allowedSet: names?.set, file: file, sink: sink)
        else { return nil }
        var values: [String: RawValue] = [:]
        for key in reader.keys {
            let value = reader.node(key.value)!
            guard case .scalar(let scalar) = value else {
                sink.error(.wrongNodeKind, at: PluginParameter.location(of: value, in: file),
                           "'\(key.value)' in the \(side) of \(what) must be a single value as a source gives it (text, a number, true/false or null), not \(value.kindName)")
                continue
            }
            values[key.value] = Self.raw(scalar)
        }
        return values
    }

    /// A YAML scalar as a source would give it: quoted text is text; plain `null`, `~` or
    /// nothing is null; `true`/`false` booleans; a plain integer an integer; another plain number
    /// its decimal text; anything else text.
    static func raw(_ scalar: Node.Scalar) -> RawValue {
        let text = scalar.string
        guard scalar.style == .plain else { return .text(text) }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true": return .bool(true)
        case "false": return .bool(false)
        default: break
        }
        if let integer = Int64(text) { return .integer(integer) }
        let numeric = text.unicodeScalars.allSatisfy { "0123456789.-+eE".unicodeScalars.contains($0) }
        if numeric, text.contains(where: \.isNumber), text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .decimal(text) }
        return .text(text)
    }

    private func expectation(_ node: Node, what: String, ruleSet: CompiledRuleSet?, file: String, sink: DiagnosticSink) -> RuleTestFile.Expectation? {
        guard let reader = MappingReader(node, what: "an expectation of \(what)", allowed: Self.expectKeys, file: file, sink: sink) else { return nil }
        guard let kindText = reader.requiredScalar("kind", hint: "say which kind of finding, such as 'kind: mismatch'") else { return nil }
        guard let kind = FindingKind(rawValue: kindText.value) else {
            sink.error(.invalidValue, at: kindText.location, "unknown finding kind '\(kindText.value)'"
                + Suggestion.hintOrList(for: kindText.value, in: FindingKind.allCases.map(\.rawValue)))
            return nil
        }
        let field = reader.scalar("field")
        if let field, let ruleSet, !ruleSet.fields.contains(where: { $0.name == field.value }) {
            sink.error(.unknownField, at: field.location, "unknown field '\(field.value)'" + Suggestion.hintOrList(for: field.value, in: ruleSet.fields.map(\.name), listing: "fields are"))
        }
        let rule = reader.scalar("rule")
        if let rule, let ruleSet {
            let rules = ["key"] + ruleSet.fields.map(\.name) + ruleSet.invariants.map(\.name)
            if !rules.contains(rule.value) {
                sink.error(.unknownField, at: rule.location, "unknown rule '\(rule.value)'" + Suggestion.hintOrList(for: rule.value, in: rules, listing: "rules are"))
            }
        }
        var side: Side?
        if let text = reader.scalar("side") {
            side = Side(rawValue: text.value)
            if side == nil { sink.error(.invalidValue, at: text.location, "unknown side '\(text.value)'" + Suggestion.hintOrList(for: text.value, in: ["db", "chain"])) }
        }
        return RuleTestFile.Expectation(kind: kind, field: field?.value, rule: rule?.value, side: side)
    }
}
