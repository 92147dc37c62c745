import Foundation
import GRDB
import ReconSources
import Reconciliation
import StreamReconCLI
import Synchronization
import Testing

/// `--store`, and the composition root: a run store registered from outside the project's
/// modules, in one line, serves `run` and `runs` like the built-in ones.
struct RunStoreOptionTests {
    let scratch: RunCommandTests

    init() throws {
        scratch = try RunCommandTests()
    }

    var directory: URL { scratch.directory }

    func tables(_ path: String) throws -> [String] {
        try DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") }
    }

    @Test func aStoreElsewhereIsCreatedAndTheAppDatabaseIsNotWritten() throws {
        let app = try scratch.sqlite("app.sqlite", try String(contentsOf: directory.appendingPathComponent("Fixtures/demo.sql"), encoding: .utf8))
        let before = try Data(contentsOf: URL(fileURLWithPath: app))
        let store = directory.appendingPathComponent("runs.sqlite").path
        let first = try scratch.run(["run", "--db", app, "--store", store, "--format", "json"])
        #expect(first.status == 1, "\(first.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: app)) == before)
        #expect(try tables(app) == ["streams"])
        #expect(try tables(store) == ["grdb_migrations", "reconciliation_discrepancies", "reconciliation_runs"])
        // `runs` reads it through --store, and through the sqlite: form of --db.
        let runId = try #require(try scratch.json(first.stdout)["runId"] as? String)
        #expect(try scratch.run(["runs", "list", "--store", store]).stdout.contains(runId))
        #expect(try scratch.run(["runs", "list", "--db", "sqlite:" + store]).stdout.contains(runId))
        #expect(try scratch.run(["runs", "show", runId, "--db", "file://" + store, "--format", "json"]).status == 0)
        // The app DB has no runs.
        let none = try scratch.run(["runs", "list", "--db", app])
        #expect(none.status == 3 && none.stderr == "error: \(app): no runs recorded yet\n")
    }

    @Test func aStoreThatDefaultsToTheAppDatabaseIsNeverCreated() throws {
        let typo = directory.appendingPathComponent("tpyo.sqlite").path
        let result = try scratch.run(["run", "--db", typo])
        #expect(result.status == 3)
        #expect(!FileManager.default.fileExists(atPath: typo))
    }

    @Test func theReportIsNeverWrittenOverTheStore() throws {
        let app = try scratch.sqlite("app.sqlite", try String(contentsOf: directory.appendingPathComponent("Fixtures/demo.sql"), encoding: .utf8))
        let store = try scratch.sqlite("runs.sqlite", "CREATE TABLE keep (x)")
        for target in [store, store + "-wal"] {
            let refused = try scratch.run(["run", "--db", app, "--store", store, "--output", target])
            #expect(refused.status == 2)
            #expect(refused.stderr.hasPrefix("error: cannot write --output \(target): \(target) is the --store file"), "\(refused.stderr)")
        }
        #expect(try tables(store) == ["keep"])
    }

    @Test func unknownStoreSchemesAreUsageErrors() throws {
        let result = try scratch.run(["runs", "list", "--store", "mysql://db/app"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("'mysql://' run stores are not supported; give an SQLite file path or a postgres:// URL or a postgresql:// URL"))
    }

    /// A run store from outside the modules: registered in one line, it records `run` and
    /// serves `runs`, and the app DB gets no run tables.
    @Test func aStoreRegisteredFromOutsideServesRunAndRuns() async throws {
        let app = try scratch.sqlite("app.sqlite", try String(contentsOf: directory.appendingPathComponent("Fixtures/demo.sql"), encoding: .utf8))
        let memory = MemoryRunStore()
        var assembly = StreamRecon.assembly
        assembly.stores.register(["memory"], memory.factory) // the one registration line
        let report = directory.appendingPathComponent("report.json").path
        let status = await StreamRecon.execute([
            "run", "--rules", directory.appendingPathComponent("Rules/streams.yaml").path, "--db", app,
            "--chain", directory.appendingPathComponent("Fixtures/demo-chain.json").path, "--store", "memory://nightly",
            "--output", report, "--format", "json",
        ], assembly: assembly)
        #expect(status == 1)
        let written = try scratch.json(try String(contentsOfFile: report, encoding: .utf8))
        let runs = try await memory.list(limit: 10)
        #expect(runs.count == 1)
        #expect(runs.first?.id == written["runId"] as? String && runs.first?.status == .drift)
        #expect(try await memory.show(id: runs[0].id)?.discrepancies.count == runs.first?.discrepancyCount)
        #expect(memory.locations == ["memory://nightly"])
        #expect(try tables(app) == ["streams"])
        #expect(await StreamRecon.execute(["runs", "show", "no-such-run", "--store", "memory://nightly"], assembly: assembly) == 3)
        #expect(await StreamRecon.execute(["runs", "list", "--store", "memory://nightly"]) == 2, "not registered in the standard assembly")
    }
}

/// Runs kept in memory.
final class MemoryRunStore: RunStore {
    private let state = Mutex<(runs: [RunRecord], discrepancies: [String: [DiscrepancyRecord]], locations: [String])>(([], [:], []))
    let lease = Duration.seconds(60)
    var displayName: String { "memory" }
    var locations: [String] { state.withLock { $0.locations } }

    @Sendable func factory(_ location: String, _ options: RunStoreOptions) throws(SourceError) -> any RunStore {
        state.withLock { $0.locations.append(location) }
        return self
    }

    func begin(_ run: RunRecord) async throws(RunStoreError) -> [String] {
        try state.withLock { (state) throws(RunStoreError) in
            if let running = state.runs.first(where: { $0.status == .running }) { throw .busy(RunInProgress(runId: running.id, store: displayName)) }
            if let key = run.runKey, let used = state.runs.first(where: { $0.runKey == key }) { throw .keyUsed(used) }
            state.runs.insert(run, at: 0)
        }
        return []
    }

    func renew(runId: String) async throws(SourceError) -> Bool { true }

    func recordAlert(_ report: RunReport) async throws(SourceError) {
        state.withLock { state in
            if let index = state.runs.firstIndex(where: { $0.id == report.runId }) { state.runs[index].alertStatus = report.alert?.description }
        }
    }

    func complete(_ report: RunReport) async throws(SourceError) {
        state.withLock { state in
            guard let index = state.runs.firstIndex(where: { $0.id == report.runId }) else { return }
            state.runs[index].status = report.status
            state.runs[index].finishedAt = report.finishedAt
            state.runs[index].discrepancyCount = report.summary.discrepancies
            state.discrepancies[report.runId] = report.discrepancies.map { DiscrepancyRecord(runId: report.runId, finding: $0) }
        }
    }

    func fail(runId: String, finishedAt: String, error: String, patience: Duration) async throws(SourceError) {
        state.withLock { state in
            if let index = state.runs.firstIndex(where: { $0.id == runId }) { state.runs[index].status = .failed }
        }
    }

    func abort(runId: String, finishedAt: String, reason: String) async throws(SourceError) -> Bool {
        state.withLock { state in
            guard let index = state.runs.firstIndex(where: { $0.id == runId && $0.status == .running }) else { return false }
            state.runs[index].status = .aborted
            return true
        }
    }

    func list(limit: Int) async throws(SourceError) -> [RunRecord] {
        state.withLock { Array($0.runs.prefix(limit)) }
    }

    func show(id: String) async throws(SourceError) -> (run: RunRecord, discrepancies: [DiscrepancyRecord])? {
        state.withLock { state in state.runs.first { $0.id == id }.map { ($0, state.discrepancies[id] ?? []) } }
    }
}
