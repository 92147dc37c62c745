import ReconEngine
import Testing

/// Runs every registered plugin's own examples: passing ones must pass, failing ones fail.
struct PluginExampleTests {
    struct Case<Example: Sendable>: Sendable, CustomTestStringConvertible {
        var plugin: String
        var example: Example
        var passes: Bool
        var testDescription: String { "\(plugin) \(passes ? "passes" : "fails") #\(String(describing: example).hashValue & 0xffff)" }
    }

    static func cases<Example>(_ descriptions: [PluginDescription<Example>]) -> [Case<Example>] {
        descriptions.flatMap { description in
            description.passing.map { Case(plugin: description.identifier, example: $0, passes: true) }
                + description.failing.map { Case(plugin: description.identifier, example: $0, passes: false) }
        }
    }

    @Test(arguments: cases(PluginRegistry.builtIn.valueTypes.map { $0.description }))
    func valueTypeExample(_ test: Case<ValueTypeExample>) throws {
        let extra = test.example.parameters.isEmpty ? "" : ", " + test.example.parameters
        let ruleSet = try compile(rules(fields: "  v: { type: \(test.plugin)\(extra) }"))
        let parsed = ruleSet.fields[0].type.parse(test.example.raw)
        let findings = ruleSet.reconcile(streamId: "s", db: [test.example.raw], chain: [test.example.raw])
        if test.passes {
            let value = try parsed.get()
            #expect(ruleSet.fields[0].type.render(value) == test.example.rendered)
            #expect(findings.isEmpty)
        } else {
            #expect(throws: InvalidValue.self) { try parsed.get() }
            #expect(findings.map(\.kind) == [.invalidValue, .invalidValue])
        }
    }

    @Test(arguments: cases(PluginRegistry.builtIn.comparators.map { $0.description }))
    func comparatorExample(_ test: Case<ComparatorExample>) throws {
        let invariants = test.example.invariant.map { "  i: { assert: \"\($0)\" }" }
        let ruleSet = try compile(rules(fields: "  v: \(test.example.field)", invariants: invariants))
        let findings = ruleSet.reconcile(streamId: "s", db: [test.example.db], chain: [test.example.chain])
        if test.passes {
            #expect(findings.isEmpty, "\(findings)")
        } else {
            #expect(!findings.isEmpty)
            #expect(findings.allSatisfy { $0.kind == .mismatch || $0.kind == .invalidValue })
        }
    }

    @Test(arguments: cases(PluginRegistry.builtIn.functions.map { $0.description }))
    func functionExample(_ test: Case<FunctionExample>) throws {
        let ruleSet = try compile(rules(fields: "  a: { type: amount }\n  b: { type: amount }",
                                        invariants: "  f: { on: [db], assert: \"\(test.example.assert)\" }"))
        let findings = ruleSet.reconcile(streamId: "s", db: [test.example.a, test.example.b], chain: [test.example.a, test.example.b])
        #expect(findings.map(\.kind) == (test.passes ? [] : [.invariantViolation]))
    }

    @Test func everyPluginHasExamplesOfBothKinds() {
        let registry = PluginRegistry.builtIn
        let counts = registry.valueTypes.map { ($0.description.identifier, $0.description.passing.count, $0.description.failing.count) }
            + registry.comparators.map { ($0.description.identifier, $0.description.passing.count, $0.description.failing.count) }
            + registry.functions.map { ($0.description.identifier, $0.description.passing.count, $0.description.failing.count) }
        for (identifier, passing, failing) in counts {
            #expect(passing > 0 && failing > 0, "\(identifier) needs passing and failing examples")
        }
    }
}
