import Foundation
import ReconEngine
import ReconSources
import ReconSQLite

/// `streamrecon-bench phases DIR [--batch-size N]`: times each phase of a run alone over data kept by
/// `run --keep`: loading the chain snapshot, reading every DB page, and both together with
/// the rules applied (no report, no run record).
enum PhaseBenchmark {
    static func run() async throws {
        guard CommandLine.arguments.count > 2 else { throw BenchError("give the directory printed by run --keep") }
        let directory = URL(fileURLWithPath: CommandLine.arguments[2])
        let ruleSet = try RulesCompiler().load(path: "Fixtures/four-field-rules.yaml")
        let query = SourceQuery(ruleSet: ruleSet, batchSize: option("--batch-size", default: 1000))
        let chain = ChainSnapshotFile(path: directory.appendingPathComponent("chain.json").path)
        let db = SQLiteAppDatabase(path: directory.appendingPathComponent("app.sqlite").path)

        var start = ContinuousClock.now
        let view = try await chain.open(query)
        let snapshot = ContinuousClock.now - start

        start = ContinuousClock.now
        let pages = try await db.open(query)
        let opening = ContinuousClock.now - start
        start = ContinuousClock.now
        var rows = 0
        while let page = try await pages.next() { rows += page.count }
        let reading = ContinuousClock.now - start

        start = ContinuousClock.now
        var findings: [Finding] = []
        let pagesAgain = try await db.open(query)
        while let page = try await pagesAgain.next() {
            let lookups = try await view.records(for: page.map(\.key))
            for (row, lookup) in zip(page, lookups) {
                if case .record(let values) = lookup {
                    ruleSet.reconcile(streamId: row.key, db: row.values, chain: values, into: &findings)
                } else {
                    ruleSet.reconcile(streamId: row.key, db: row.values, chain: nil, into: &findings)
                }
            }
        }
        let applying = ContinuousClock.now - start
        print("snapshot load: \(snapshot)\nDB open (checks the table, scans for duplicate keys): \(opening)\nDB pages (\(rows) rows): \(reading)\nDB pages + lookups + rules: \(applying) (\(findings.count) findings)")
    }
}
