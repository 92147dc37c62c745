import ReconEngine
import ReconSources
@testable import Reconciliation
import Testing

/// Streams by status: the DB's status, else the chain's, else `invalid`; any number of statuses.
struct TallyTests {
    @Test func countsEveryStatusPastTheCachedOnes() throws {
        let ruleSet = try #require(RulesCompiler().compile(yaml: """
            version: 1
            name: t
            key: { db: id, chain: id }
            db: { table: streams }
            fields:
              status:
                type: string
            """, file: "t.yaml").ruleSet)
        var tally = Tally(ruleSet: ruleSet)
        var expected: [String: Int] = [:]
        for index in 0..<300 {
            let status = "s\(index % 100)"
            tally.count(db: [.text(status)], chain: .missing)
            expected[status, default: 0] += 1
        }
        tally.count(db: nil, chain: .record(["c"]))
        tally.count(db: [.null], chain: .record(["c"]))
        tally.count(db: [.null], chain: .missing)
        tally.count(db: nil, chain: .record([.null]))
        expected["c"] = 2
        expected["invalid"] = 2
        #expect(tally.streams == 304)
        #expect(tally.byStatus == expected)
    }
}
