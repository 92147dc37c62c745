import ReconEngine
import Testing

/// Where a compiled rule set says its fields, invariants and key are written.
struct RuleLocationsTests {
    @Test func fieldsInvariantsAndKeyKeepTheirPlace() throws {
        let ruleSet = try compile(demoRules)
        #expect(ruleSet.keyLocation == TextLocation(file: "rules.yaml", line: 3, column: 1))
        #expect(ruleSet.fields.map(\.location) == [6, 7, 8, 13].map { TextLocation(file: "rules.yaml", line: $0, column: 3) })
        #expect(ruleSet.invariants.map(\.location) == [15, 17].map { TextLocation(file: "rules.yaml", line: $0, column: 3) })
    }

    @Test func aFindingMapsToItsRule() throws {
        let locations = RuleLocations(try compile(demoRules))
        #expect(locations.file == "rules.yaml")
        func rule(_ kind: FindingKind, field: String? = nil, rule: String) -> RuleLocations.Rule? {
            locations.rule(for: Finding(streamId: "s", kind: kind, field: field, rule: rule, severity: .critical, message: "m"))
        }
        let released = try #require(rule(.mismatch, field: "released_amount", rule: "released_amount"))
        #expect(released.kind == .field && released.location?.line == 7)
        #expect(released.summary == "DB released_amount against on-chain withdrawn (amount, exact)")
        #expect(rule(.invalidValue, field: "status", rule: "status")?.location?.line == 8)
        let invariant = try #require(rule(.invariantViolation, rule: "released-within-total"))
        #expect(invariant.kind == .invariant && invariant.location?.line == 17 && invariant.severity == .warning)
        #expect(invariant.summary == "released_amount <= total_amount, on db and chain")
        for kind in [FindingKind.missingOnChain, .missingInDB, .sourceError] {
            #expect(rule(kind, rule: "key")?.location == TextLocation(file: "rules.yaml", line: 3, column: 1))
        }
        #expect(rule(.mismatch, field: "gone", rule: "gone") == nil)
    }

    /// A field and an invariant may share a name: the finding's kind tells which it is.
    @Test func aFieldAndAnInvariantOfOneName() throws {
        let locations = RuleLocations(try compile(rules(fields: "  total: { type: amount }", invariants: "  total: { assert: total >= 0 }")))
        let field = Finding(streamId: "s", kind: .mismatch, field: "total", rule: "total", severity: .critical, message: "m")
        let violation = Finding(streamId: "s", kind: .invariantViolation, side: .db, rule: "total", severity: .critical, message: "m")
        #expect(locations.rule(for: field)?.kind == .field)
        #expect(locations.rule(for: violation)?.kind == .invariant)
        #expect(locations.rule(for: field)?.location != locations.rule(for: violation)?.location)
    }
}
