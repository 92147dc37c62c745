import Foundation
import ReconEngine
import Testing

/// A valid rules file in the shape of docs/rules.md, used as the base of many tests.
let demoRules = """
version: 1
name: payment-streams
key: { db: id, chain: id }
db: { table: streams }
fields:
  total_amount: { type: amount, chain: deposited }
  released_amount: { type: amount, chain: withdrawn }
  status:
    type: enum
    values: [pending, active, completed, cancelled]
    chain: state
    compare: { map: { "0": pending, "1": active, "2": completed, "3": cancelled } }
  recipient: { type: address }
invariants:
  non-negative-balances:
    assert: total_amount >= 0 and released_amount >= 0
  released-within-total:
    assert: released_amount <= total_amount
    severity: warning
"""

/// Every diagnostic of a rules text, as `file:line:col: severity[code]: message`.
func lint(_ yaml: String, file: String = "rules.yaml") -> [String] {
    RulesCompiler().compile(yaml: yaml, file: file).diagnostics.map(\.description)
}

/// Compiles a rules text that must be valid.
func compile(_ yaml: String, registry: PluginRegistry = .builtIn, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> CompiledRuleSet {
    let result = RulesCompiler(registry: registry).compile(yaml: yaml, file: "rules.yaml")
    #expect(result.diagnostics.isEmpty, "\(result.diagnostics.map(\.description))", sourceLocation: sourceLocation)
    return try #require(result.ruleSet, sourceLocation: sourceLocation)
}

/// Rules with the base header and the given `fields:` and optional `invariants:` bodies.
func rules(fields: String, invariants: String? = nil) -> String {
    var text = "version: 1\nname: t\nkey: { db: id, chain: id }\ndb: { table: streams }\nfields:\n" + fields
    if let invariants { text += "\ninvariants:\n" + invariants }
    return text
}

/// A fresh directory under the system temporary directory.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("streamrecon-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
