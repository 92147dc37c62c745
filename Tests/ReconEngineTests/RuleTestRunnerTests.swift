import Foundation
import ReconEngine
import Testing

/// The rule test runner through its public API: boundaries generated from what each bound
/// declares, checked through the compiled comparison.
struct RuleTestRunnerTests {
    /// A bound whose comparison is off by one from the limit it declares (as a plugin could be).
    enum SloppyToleranceComparator: ComparatorPlugin {
        static let isBound = true
        static let description = PluginDescription<ComparatorExample>(
            identifier: "sloppy", summary: "Off by one.",
            passing: [ComparatorExample(field: "{ type: amount, compare: { sloppy: 5 } }", db: "100", chain: "105")],
            failing: [ComparatorExample(field: "{ type: amount, compare: { sloppy: 5 } }", db: "100", chain: "107")]
        )

        static func makeComparator(_ context: ComparatorContext) throws(PluginError) -> ReconEngine.Comparator {
            let limit = try context.requireParameter("sloppy", example: "5").integer("sloppy", in: 0...1000)
            var comparator = ReconEngine.Comparator(summary: "sloppy") { db, chain in
                guard case .number(let a) = db, case .number(let b) = chain else { return false }
                return abs(a - b) <= limit + 1
            }
            comparator.limit = { _, _ in UInt128(limit) }
            return comparator
        }
    }

    func load(_ rules: String, _ cases: String, registry: PluginRegistry = .builtIn) throws -> RuleTestFile {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rule-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try rules.write(to: directory.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)
        let path = directory.appendingPathComponent("t.test.yaml").path
        try ("rules: rules.yaml\ncases:\n" + cases).write(toFile: path, atomically: true, encoding: .utf8)
        let result = RuleTestLoader(compiler: RulesCompiler(registry: registry)).load(path: path)
        return try #require(result.file, "\(result.diagnostics)")
    }

    @Test func boundariesSitExactlyOnEachDeclaredBound() throws {
        let file = try load(rules(fields: """
              a: { type: amount, compare: { tolerance: 5 } }
              b: { type: amount, compare: { tolerance_bps: 10 } }
              c: { type: amount, decimals: { db: 2 }, compare: { tolerance: 5, tolerance_bps: 100 } }
              t: { type: timestamp, compare: { tolerance: 60 } }
            """), "  - { name: x, db: { id: x, a: \"100\", b: \"1000000\", c: \"10.00\", t: 1700000000 }, expect: [{ kind: missing_on_chain }] }\n")
        let report = RuleTestRunner().run([file], boundaries: true)
        #expect(report.failed == 0)
        let names = report.cases.filter(\.generated).map(\.name)
        #expect(names.contains("a at the bound above 100: DB 100, on chain 105"))
        #expect(names.contains("a one past the bound above 100: DB 100, on chain 106"))
        #expect(names.contains("a at the bound below 100: DB 100, on chain 95"))
        #expect(names.contains("a one past the bound below 100: DB 100, on chain 94"))
        // 10 bps above 1000000: d <= (1000000 + d) / 1000, so 1001; below, 1000.
        #expect(names.contains("b at the bound above 1000000: DB 1000000, on chain 1001001"))
        #expect(names.contains("b one past the bound above 1000000: DB 1000000, on chain 1001002"))
        #expect(names.contains("b at the bound below 1000000: DB 1000000, on chain 999000"))
        // 10.00 tokens with 2 decimals is 1000 base units; 1 % of 1000 is 10, more than 5.
        #expect(names.contains("c at the bound above 1000: DB 1000, on chain 1010"))
        #expect(names.contains("c one past the bound below 1000: DB 1000, on chain 989"))
        #expect(names.contains("t at the bound above 1700000000: DB 2023-11-14T22:13:20Z, on chain 2023-11-14T22:14:20Z"))
        #expect(report.cases.filter(\.generated).count == 16)
    }

    /// A bound wider than the values (tolerance_bps over 10000) near the extremes does not trap.
    @Test func boundsBeyondTheValuesDoNotTrap() throws {
        let file = try load(rules(fields: "  a: { type: amount, compare: { tolerance_bps: 15000 } }"),
                            "  - { name: x, db: { id: x, a: \"150000000000000000000000000000000000000\" }, expect: [{ kind: missing_on_chain }] }\n"
                                + "  - { name: y, db: { id: y, a: \"-150000000000000000000000000000000000000\" }, expect: [{ kind: missing_on_chain }] }\n")
        let report = RuleTestRunner().run([file], boundaries: true)
        #expect(report.failed == 0, "\(report.cases.filter { !$0.passed }.map(\.name))")
    }

    @Test func aComparisonThatDisagreesWithItsBoundFails() throws {
        let registry = try PluginRegistry.builtIn.registering(SloppyToleranceComparator.self)
        let file = try load(rules(fields: "  a: { type: amount, compare: { sloppy: 5 } }"),
                            "  - { name: x, db: { id: x, a: \"100\" }, expect: [{ kind: missing_on_chain }] }\n", registry: registry)
        let report = RuleTestRunner().run([file], boundaries: true)
        #expect(report.cases.filter { !$0.passed }.map(\.name) == [
            "a one past the bound above 100: DB 100, on chain 106", "a one past the bound below 100: DB 100, on chain 94",
        ])
        #expect(RuleTestFormat.text.render(report).contains("FAIL (generated for "))
        #expect(RuleTestRunner().run([file]).failed == 0)
    }

    @Test func aBoundThatAllowsEverythingHasNoEdge() {
        #expect(RuleTestRunner.boundary(of: { _, _ in nil }, at: 5, above: true) == nil)
        #expect(RuleTestRunner.boundary(of: { _, _ in UInt128.max }, at: 5, above: false) == nil)
        let edge = RuleTestRunner.boundary(of: { _, _ in 3 }, at: Int128.max - 10, above: true)
        #expect(edge?.at == Int128.max - 7 && edge?.past == Int128.max - 6)
        // A difference beyond Int128.max (tolerance_bps over 10000 at a large value) does not trap.
        let wide = RuleTestRunner.boundary(of: { _, _ in UInt128(Int128.max) + 5 }, at: -10, above: true)
        #expect(wide?.at == Int128.max - 5 && wide?.past == Int128.max - 4)
        let far = RuleTestRunner.boundary(of: { _, _ in UInt128(Int128.max) + 5 }, at: Int128.min, above: true)
        #expect(far?.at == 4 && far?.past == 5)
        let top = RuleTestRunner.boundary(of: { _, _ in 3 }, at: Int128.max - 3, above: true)
        #expect(top == nil)
    }
}
