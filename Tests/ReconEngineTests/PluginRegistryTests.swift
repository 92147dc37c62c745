import ReconEngine
import Testing

/// A comparator defined outside ReconEngine: one type plus one registration line.
enum SameSignComparator: ComparatorPlugin {
    static let description = PluginDescription<ComparatorExample>(
        identifier: "same_sign",
        summary: "Passes when both numbers have the same sign.",
        passing: [ComparatorExample(field: "{ type: amount, compare: same_sign }", db: "5", chain: "7")],
        failing: [ComparatorExample(field: "{ type: amount, compare: same_sign }", db: "5", chain: "-7")]
    )

    static func makeComparator(_ context: ComparatorContext) throws(PluginError) -> Comparator {
        guard case .number = context.fieldType.kind else { throw context.typeMismatch("same_sign", needs: "a number type") }
        try context.requireNoParameter("same_sign")
        return Comparator(summary: "same sign") { db, chain in
            guard case .number(let a) = db, case .number(let b) = chain else { return false }
            return a.signum() == b.signum()
        }
    }
}

struct PluginRegistryTests {
    @Test func identifiersAreUniqueWithinEachKind() {
        let registry = PluginRegistry.builtIn
        for names in [registry.valueTypes.map { $0.description.identifier }, registry.comparators.map { $0.description.identifier },
                      registry.functions.map { $0.description.identifier }] {
            #expect(Set(names).count == names.count)
        }
    }

    @Test func builtInsCoverTheSpec() {
        let registry = PluginRegistry.builtIn
        #expect(registry.valueTypes.map { $0.description.identifier } == ["amount", "integer", "string", "address", "enum", "bool", "timestamp"])
        #expect(registry.comparators.map { $0.description.identifier } == ["exact", "tolerance", "tolerance_bps", "map", "ignore_case", "ignore"])
    }

    @Test func aComparatorRegisteredFromOutsideTheModuleIsUsable() throws {
        let yaml = rules(fields: "  balance: { type: amount, compare: same_sign }")
        #expect(lint(yaml) == ["rules.yaml:6:37: error[unknown-comparator]: unknown comparator 'same_sign'; comparators are exact, tolerance, tolerance_bps, map, ignore_case, ignore"])

        let registry = try PluginRegistry.builtIn.registering(SameSignComparator.self)
        let ruleSet = try compile(yaml, registry: registry)
        #expect(ruleSet.reconcile(streamId: "s", db: ["5"], chain: ["9"]).isEmpty)
        let findings = ruleSet.reconcile(streamId: "s", db: ["5"], chain: ["-9"])
        #expect(findings == [Finding(streamId: "s", kind: .mismatch, field: "balance", dbValue: "5", onChainValue: "-9", rule: "balance",
                                     severity: .critical, message: "balance differs: DB 5, on chain -9 (same sign)")])
    }

    @Test func aCustomComparatorChecksItsFieldType() throws {
        let registry = try PluginRegistry.builtIn.registering(SameSignComparator.self)
        let result = RulesCompiler(registry: registry).compile(yaml: rules(fields: "  who: { type: string, compare: same_sign }"), file: "r.yaml")
        #expect(result.diagnostics.map(\.description)
            == ["r.yaml:6:33: error[comparator-type-mismatch]: comparator 'same_sign' needs a number type, but field 'who' is of type 'string'"])
    }

    @Test func registeringADuplicateIdentifierFails() {
        #expect(throws: PluginRegistryError.duplicateIdentifier(kind: "comparator", identifier: "exact")) {
            try PluginRegistry.builtIn.registering(ExactComparator.self)
        }
        #expect(throws: PluginRegistryError.duplicateIdentifier(kind: "value type", identifier: "amount")) {
            try PluginRegistry.builtIn.registering(AmountType.self)
        }
        #expect(throws: PluginRegistryError.duplicateIdentifier(kind: "function", identifier: "abs")) {
            try PluginRegistry.builtIn.registering(AbsFunction.self)
        }
        #expect("\(PluginRegistryError.duplicateIdentifier(kind: "function", identifier: "abs"))" == "two function plugins are named 'abs'")
    }
}
