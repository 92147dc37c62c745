import Foundation
import Logging
import ReconEngine
import ReconSources
import ReconSQLite
import Reconciliation
import TestSupport
import Testing

/// A recorded run that cannot read the previous run fails, rather than calling every
/// discrepancy new (which would lose when each was first seen, and page for all of them).
struct RunMemoryTests {
    /// An SQLite store whose previous run cannot be read: at once, or (`slow`) after a minute.
    struct UnreadableHistory: RunStore {
        let inner: SQLiteRunStore
        var slow = false
        var displayName: String { inner.displayName }
        var lease: Duration { inner.lease }
        func begin(_ run: RunRecord) async throws(RunStoreError) -> [String] { try await inner.begin(run) }
        func renew(runId: String) async throws(SourceError) -> Bool { try await inner.renew(runId: runId) }
        func complete(_ report: RunReport) async throws(SourceError) { try await inner.complete(report) }
        func fail(runId: String, finishedAt: String, error: String, patience: Duration) async throws(SourceError) {
            try await inner.fail(runId: runId, finishedAt: finishedAt, error: error, patience: patience)
        }
        func abort(runId: String, finishedAt: String, reason: String) async throws(SourceError) -> Bool {
            try await inner.abort(runId: runId, finishedAt: finishedAt, reason: reason)
        }
        func recordAlert(_ report: RunReport) async throws(SourceError) { try await inner.recordAlert(report) }
        func list(limit: Int) async throws(SourceError) -> [RunRecord] { try await inner.list(limit: limit) }
        func show(id: String) async throws(SourceError) -> (run: RunRecord, discrepancies: [DiscrepancyRecord])? { try await inner.show(id: id) }
        func baseline(rulesName: String) async throws(SourceError) -> RunBaseline? {
            if slow {
                do { try await Task.sleep(for: .seconds(60)) } catch { throw SourceError(.cancelled, at: displayName, "stopped") }
            }
            throw SourceError(.unreadable, at: displayName, "database is locked")
        }
    }

    @Test func aRecordedRunThatCannotReadThePreviousRunFails() async throws {
        let scratch = try Scratch()
        let path = try scratch.database(sql: try demoSQL())
        let store = UnreadableHistory(inner: SQLiteRunStore(path: path))
        var service = RunService()
        service.baselinePatience = .milliseconds(300)
        let request = RunService.Request(rulesPath: repositoryRoot.appendingPathComponent("Rules/streams.yaml").path, db: SQLiteAppDatabase(path: path),
                                         chain: ChainSnapshotFile(path: demoChainPath), store: store)
        await #expect(throws: RunService.StartError.self) { _ = try await service.run(request) }
        let run = try #require(try await store.latest())
        #expect(run.status == .failed)
        #expect(run.error == "cannot read the previous run to tell new discrepancies from persisting ones: \(path): database is locked")
        // A dry run reading the same history goes on, every discrepancy new.
        var dry = request
        dry.store = nil
        dry.history = store
        let report = try await service.run(dry)
        #expect(report.summary.byStatus["new"] == 8 && report.previousRunId == nil)
    }

    /// Stopped while it reads the previous run, a run ends at once, recorded `aborted`: it does
    /// not try the read again, nor mark itself failed (a stopped task's waits return at once, and
    /// retrying in one spun for minutes).
    @Test func aRunStoppedWhileItReadsThePreviousRunEndsAborted() async throws {
        let scratch = try Scratch()
        let path = try scratch.database(sql: try demoSQL())
        let store = UnreadableHistory(inner: SQLiteRunStore(path: path), slow: true)
        let request = RunService.Request(rulesPath: repositoryRoot.appendingPathComponent("Rules/streams.yaml").path, db: SQLiteAppDatabase(path: path),
                                         chain: ChainSnapshotFile(path: demoChainPath), store: store)
        let run = Task { try await RunService().run(request) }
        _ = try await RunTables.runningRun(at: path)
        let stopped = ContinuousClock.now
        run.cancel()
        let report = try await run.value
        #expect(report.status == .aborted)
        // Generous for a loaded machine; before, it took the read's 30 s and then fail's 120 s.
        #expect(ContinuousClock.now - stopped < .seconds(60))
        #expect(try await store.latest()?.status == .aborted)
    }

    /// A dry run stopped while it reads the previous run ends at once, and does not say the
    /// previous run could not be read: it was not asked for any more.
    @Test func aDryRunStoppedWhileItReadsThePreviousRunSaysNothingOfIt() async throws {
        let scratch = try Scratch()
        let path = try scratch.database(sql: try demoSQL())
        let logs = LogLines()
        var request = RunService.Request(rulesPath: repositoryRoot.appendingPathComponent("Rules/streams.yaml").path, db: SQLiteAppDatabase(path: path),
                                         chain: ChainSnapshotFile(path: demoChainPath), store: nil, logger: Logger(label: "test") { _ in logs })
        request.history = UnreadableHistory(inner: SQLiteRunStore(path: path), slow: true)
        let run = Task { try await RunService().run(request) }
        try await Poll.until("the run to start") { logs.contains("run started") ? true : nil }
        run.cancel()
        #expect(try await run.value.status == .aborted)
        #expect(!logs.contains("cannot read the previous run; every discrepancy counts as new"))
    }
}
