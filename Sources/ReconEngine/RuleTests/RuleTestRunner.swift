/// Runs rule test files: every case's pair through its compiled rules, compared with what the
/// case expects, and the coverage of each rules file by its cases.
public struct RuleTestRunner: Sendable {
    public struct CaseResult: Sendable {
        public var file: String
        public var name: String
        public var location: TextLocation
        public var expected: [RuleTestFile.Expectation]
        public var actual: [Finding]
        public var passed: Bool
    }

    /// What a rules file's cases exercise, against what there is to exercise.
    public struct Coverage: Sendable {
        public var rulesPath: String
        /// Everything to cover, such as `field released_amount matches`; in rules-file order.
        public var items: [String]
        public var covered: Set<String>

        public var missing: [String] { items.filter { !covered.contains($0) } }
        /// Percent of items covered; 100 when there is nothing to cover.
        public var percent: Double { items.isEmpty ? 100 : Double(items.count - missing.count) * 100 / Double(items.count) }
    }

    public struct Report: Sendable {
        public var cases: [CaseResult]
        public var coverage: [Coverage]
        public var failed: Int { cases.count { !$0.passed } }
    }

    public init() {}

    public func run(_ files: [RuleTestFile]) -> Report {
        var cases: [CaseResult] = []
        var coverage: [String: (ruleSet: CompiledRuleSet, covered: Set<String>)] = [:]
        var order: [String] = []
        for file in files {
            if coverage[file.rulesPath] == nil {
                coverage[file.rulesPath] = (file.ruleSet, [])
                order.append(file.rulesPath)
            }
            for testCase in file.cases {
                let (result, exercised) = run(testCase, in: file)
                cases.append(result)
                coverage[file.rulesPath]!.covered.formUnion(exercised)
            }
        }
        return Report(cases: cases, coverage: order.map { path in
            let entry = coverage[path]!
            return Coverage(rulesPath: path, items: Self.items(entry.ruleSet), covered: entry.covered)
        })
    }

    private func run(_ testCase: RuleTestFile.Case, in file: RuleTestFile) -> (CaseResult, Set<String>) {
        let ruleSet = file.ruleSet
        let db = testCase.db.map { row in ruleSet.dbColumns.map { row[$0] ?? .null } }
        let chain = testCase.chain.map { record in ruleSet.chainFields.map { record[$0] ?? .null } }
        let key = testCase.db?[ruleSet.keyColumn]?.displayText ?? testCase.chain?[ruleSet.keyChainField]?.displayText ?? testCase.name
        let trace = ruleSet.trace(streamId: key, db: db, chain: chain)
        let actual = trace.findings.sorted(by: Finding.reportOrder)
        let result = CaseResult(file: file.path, name: testCase.name, location: testCase.location, expected: testCase.expect, actual: actual,
                                passed: Self.matches(testCase.expect, actual))
        var exercised = Set(trace.matched.map { "field \($0) matches" } + trace.mismatched.map { "field \($0) mismatches" })
        exercised.formUnion(trace.held.map { "invariant \($0) holds" } + trace.broken.map { "invariant \($0) breaks" })
        for (field, entries) in trace.mapEntries { exercised.formUnion(entries.map { "map \(field) '\($0)'" }) }
        return (result, exercised)
    }

    /// Whether the findings are exactly the expected ones: as many, each expectation matched by
    /// its own finding (the most specific expectations choose first).
    static func matches(_ expected: [RuleTestFile.Expectation], _ actual: [Finding]) -> Bool {
        guard expected.count == actual.count else { return false }
        var unused = actual
        for expectation in expected.sorted(by: { $0.keyCount > $1.keyCount }) {
            guard let index = unused.firstIndex(where: expectation.matches) else { return false }
            unused.remove(at: index)
        }
        return true
    }

    /// Everything a rules file's tests should exercise: each compared field matching and
    /// mismatching, each invariant holding and breaking, each `map` entry used.
    static func items(_ ruleSet: CompiledRuleSet) -> [String] {
        var items: [String] = []
        for field in ruleSet.fields where field.isCompared {
            items += ["field \(field.name) matches", "field \(field.name) mismatches"]
            items += (field.comparator.entries ?? []).map { "map \(field.name) '\($0)'" }
        }
        for invariant in ruleSet.invariants {
            items += ["invariant \(invariant.name) holds", "invariant \(invariant.name) breaks"]
        }
        return items
    }
}
