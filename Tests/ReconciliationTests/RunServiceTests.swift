import Foundation
import GRDB
import ReconEngine
import ReconSources
import ReconSQLite
import Reconciliation
import Synchronization
import TestSupport
import Testing

struct RunServiceTests {
    let scratch: Scratch
    let rulesPath = repositoryRoot.appendingPathComponent("Rules/streams.yaml").path

    init() throws {
        scratch = try Scratch()
    }

    func request(db path: String, chain: any ChainSource = ChainSnapshotFile(path: demoChainPath), dryRun: Bool = false) throws -> RunService.Request {
        RunService.Request(rulesPath: rulesPath, db: SQLiteAppDatabase(path: path), chain: chain, store: dryRun ? nil : SQLiteRunStore(path: path))
    }

    @Test func recordsTheRunAndEveryDiscrepancy() async throws {
        let path = try scratch.database(sql: try demoSQL())
        let report = try await RunService().run(try request(db: path))
        #expect(report.status == .drift)
        #expect(report.persisted && !report.dryRun)
        #expect(report.summary.byKind == ["mismatch": 2, "missing_on_chain": 1, "missing_in_db": 1, "invariant_violation": 3, "invalid_value": 1])
        #expect(report.rules.name == "payment-streams")
        #expect(report.rules.sha256.count == 64)

        let history = SQLiteRunStore(path: path)
        let shown = try #require(try await history.show(id: report.runId))
        #expect(shown.run.status == .drift)
        #expect(shown.run.streamsChecked == 9 && shown.run.discrepancyCount == 8 && shown.run.chainBlock == 19_000_000)
        #expect(shown.run.rulesSha256 == report.rules.sha256)
        #expect(shown.discrepancies.map(\.streamId) == ["stream_2", "stream_4", "stream_5", "stream_6", "stream_6", "stream_7", "stream_9", "stream_9"])
        #expect(shown.discrepancies[7].dbValue == nil && shown.discrepancies[7].onChainValue == "2026-11-15T12:00:00Z")
        #expect(shown.discrepancies[3].fieldValues == #"{"released_amount":"1200","total_amount":"1000"}"#)
        #expect(try await history.latest()?.id == report.runId)
        #expect(try await history.show(id: "nope") == nil)
    }

    /// A run key answers with the stored report. It points at the rules file's lines (SARIF,
    /// JUnit) only while that file is the one the run used: after an edit the lines have moved.
    @Test func aStoredReportPointsAtTheRulesOnlyWhileTheyAreUnchanged() async throws {
        let path = try scratch.database(sql: try demoSQL())
        let rules = scratch.path("rules.yaml")
        try String(contentsOfFile: rulesPath, encoding: .utf8).write(toFile: rules, atomically: true, encoding: .utf8)
        var keyed = try request(db: path)
        keyed.rulesPath = rules
        keyed.runKey = "nightly-2026-12-07"
        let first = try await RunService().run(keyed)
        let same = try await RunService().run(keyed)
        #expect(same.runId == first.runId && same.ruleLocations != nil)
        try ("# moved down a line\n" + String(contentsOfFile: rules, encoding: .utf8)).write(toFile: rules, atomically: true, encoding: .utf8)
        let edited = try await RunService().run(keyed)
        #expect(edited.runId == first.runId && edited.ruleLocations == nil)
    }

    @Test func theRunIsRecordedAsRunningBeforeItReadsTheChain() async throws {
        let path = try scratch.database(sql: try demoSQL())
        /// A chain that looks at the run table when the run opens it.
        let spy = HookedChain(displayName: "spy") {
            let status = try? await SQLiteRunStore(path: path).latest()?.status
            throw SourceError(.unreadable, at: "spy", "saw \(status.map(\.rawValue) ?? "nothing")")
        }
        let report = try await RunService().run(try request(db: path, chain: spy))
        #expect(report.status == .failed)
        #expect(report.error == "spy: saw running")
        #expect(try await SQLiteRunStore(path: path).latest()?.status == .failed)
        #expect(try await SQLiteRunStore(path: path).latest()?.error == "spy: saw running")
    }

    @Test func aRunLeftRunningIsMarkedAbortedByTheNext() async throws {
        let path = try scratch.database(sql: try demoSQL())
        // Its process died: its lease was not renewed and has run out.
        let store = SQLiteRunStore(path: path, options: RunStoreOptions(lease: .seconds(-1)))
        _ = try await store.begin(RunRecord(id: "crashed", startedAt: "2026-01-01T00:00:00Z", status: .running, dryRun: false,
                                        rulesName: "payment-streams", rulesSha256: "x", owner: "\(ProcessInfo.processInfo.hostName):2147483646"))
        // A row from before owners were recorded: nobody can say it is alive.
        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: """
                INSERT INTO reconciliation_runs (id, started_at, status, rules_name, rules_sha256) VALUES ('ownerless', '2026-01-01T00:00:01Z', 'running', 'p', 'x')
                """)
        }
        let report = try await RunService().run(try request(db: path))
        let crashed = try #require(try await SQLiteRunStore(path: path).show(id: "crashed"))
        #expect(crashed.run.status == .aborted)
        #expect(crashed.run.error == "interrupted before it finished; marked aborted by run \(report.runId)")
        #expect(crashed.run.finishedAt == report.startedAt)
        #expect(try await SQLiteRunStore(path: path).list().map(\.status) == [.drift, .aborted, .aborted])
    }

    @Test func aRunMarkedAbortedMeanwhileKeepsThatStatus() async throws {
        let path = try scratch.database(sql: try demoSQL())
        let store = SQLiteRunStore(path: path)
        let runId = RunService.newRunId()
        _ = try await store.begin(RunRecord(id: runId, startedAt: "2026-11-25T00:00:00Z", status: .running, dryRun: false,
                                        rulesName: "r", rulesSha256: "x"))
        #expect(try await store.abort(runId: runId, finishedAt: "2026-11-25T00:01:00Z", reason: "stopped"))
        #expect(try await store.abort(runId: runId, finishedAt: "2026-11-25T00:02:00Z", reason: "again") == false)
        // The run ends after all: its completion and its failure fallback leave the record alone.
        let report = RunReport(runId: runId, status: .drift, dryRun: false, persisted: false, startedAt: "2026-11-25T00:00:00Z",
                               finishedAt: "2026-11-25T00:03:00Z", rules: .init(name: "r", sha256: "x"), source: .init(chainBlock: 1),
                               summary: .init(streamsChecked: 1, discrepancies: 1, byKind: ["mismatch": 1], streamsByStatus: [:]),
                               discrepancies: [Finding(streamId: "s", kind: .mismatch, rule: "f", severity: .critical, message: "m")])
        await #expect(throws: SourceError(.superseded, at: path, "run \(runId) is no longer running (it was marked aborted); its outcome was not recorded")) {
            try await store.complete(report)
        }
        try await store.fail(runId: runId, finishedAt: "2026-11-25T00:04:00Z", error: "late")
        let shown = try #require(try await SQLiteRunStore(path: path).show(id: runId))
        #expect(shown.run.status == .aborted && shown.run.error == "stopped" && shown.run.finishedAt == "2026-11-25T00:01:00Z")
        #expect(shown.discrepancies.isEmpty)
    }

    @Test func runTablesFromAnOlderVersionAreUpgraded() async throws {
        let path = try scratch.database(sql: try demoSQL() + """
            CREATE TABLE reconciliation_runs (id TEXT PRIMARY KEY NOT NULL, started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL,
                dry_run INTEGER NOT NULL DEFAULT 0, rules_name TEXT NOT NULL, rules_sha256 TEXT NOT NULL, chain_block INTEGER,
                streams_checked INTEGER, discrepancy_count INTEGER, error TEXT);
            """)
        let report = try await RunService().run(try request(db: path))
        #expect(report.persisted)
        #expect(try await SQLiteRunStore(path: path).latest()?.owner?.hasSuffix(":\(getpid())") == true)
    }

    @Test func aRunStillGoingInALiveProcessIsNotAborted() async throws {
        let path = try scratch.database(sql: try demoSQL())
        // A lease of an hour: a busy machine may take a minute between these two lines.
        let store = SQLiteRunStore(path: path, options: RunStoreOptions(lease: .seconds(3600)))
        _ = try await store.begin(RunRecord(id: "live", startedAt: "2026-01-01T00:00:00Z", status: .running, dryRun: false,
                                        rulesName: "payment-streams", rulesSha256: "x")) // owned by this test process
        // One run at a time per store: the second is refused, naming the first, and changes nothing.
        do {
            _ = try await RunService().run(try request(db: path))
            Issue.record("a second run started while the first held the store")
        } catch {
            guard case .busy(let running)? = error as? RunService.StartError else {
                Issue.record("\(error)")
                return
            }
            #expect(running.runId == "live" && running.startedAt == "2026-01-01T00:00:00Z")
            #expect(running.description == "\(path): run live is in progress (started 2026-01-01T00:00:00Z by \(RunOwner.current)); one run at a time per store")
        }
        #expect(try await SQLiteRunStore(path: path).list().map(\.id) == ["live"])
        #expect(try await SQLiteRunStore(path: path).show(id: "live")?.run.status == .running)
    }

    @Test func aRunWhoseCompletionFailsIsStillMarkedFailed() async throws {
        let path = try scratch.database(sql: try demoSQL())
        /// Drops the discrepancy table while the run reads the chain, so completing the run fails.
        let saboteur = HookedChain(displayName: "saboteur") {
            _ = try? await DatabaseQueue(path: path).write { try $0.execute(sql: "DROP TABLE reconciliation_discrepancies") }
        }
        let report = try await RunService().run(try request(db: path, chain: saboteur))
        #expect(report.status == .failed && !report.persisted)
        #expect(report.error?.hasPrefix("the run record could not be completed:") == true)
        let run = try #require(try await SQLiteRunStore(path: path).latest())
        #expect(run.status == .failed)
        #expect(run.error == report.error)
    }

    @Test func findingsBeforeASourceFailureAreKept() async throws {
        let path = try scratch.database(sql: try demoSQL())
        /// A chain that answers the first page and fails on the second.
        struct FailsLater: ChainSource {
            var displayName: String { "later" }
            func open(_ query: SourceQuery) async throws(SourceError) -> any ChainView { View() }
            final class View: ChainView {
                let calls = Mutex(0)
                var block: UInt64? { 777 }
                var duplicateKeys: [(key: String, count: Int)] { [] }
                func records(for keys: [String]) async throws(SourceError) -> [ChainLookup] {
                    guard calls.withLock({ $0 += 1; return $0 }) == 1 else { throw SourceError(.unreadable, at: "node", "connection reset") }
                    return keys.map { _ in .missing }
                }
                func unvisited(limit: Int) async throws(SourceError) -> [SourceRecord] { [] }
            }
        }
        var streamed: [Finding] = []
        var request = try request(db: path, chain: FailsLater())
        request.batchSize = 3
        let report = try await RunService().run(request) { streamed.append($0) }
        #expect(report.status == .failed)
        // Report and row agree: the streams checked and the discrepancies found before the failure.
        #expect(report.error == "node: connection reset (stopped after 3 streams; the \(streamed.count) discrepancies found until then are kept)")
        #expect(report.summary.streamsChecked == 3)
        let row = try #require(try await SQLiteRunStore(path: path).show(id: report.runId)?.run)
        #expect(row.streamsChecked == 3 && row.discrepancyCount == streamed.count && row.error == report.error)
        #expect(report.source.chainBlock == 777, "the pinned block is reported even when the run fails")
        #expect(try await SQLiteRunStore(path: path).show(id: report.runId)?.run.chainBlock == 777)
        #expect(report.discrepancies.count == streamed.count && !streamed.isEmpty)
        #expect(report.summary.discrepancies == streamed.count)
        #expect(try await SQLiteRunStore(path: path).show(id: report.runId)?.discrepancies.count == streamed.count)
    }

    /// A run stopped mid-way (a signal, a shutdown) is `aborted`, and its report and its row agree:
    /// the streams checked until the stop and every discrepancy found until then (an aborted row
    /// once held 18,757 discrepancies beside "0 streams checked").
    @Test func aStoppedRunKeepsWhatItFoundAndTheCountsAgree() async throws {
        let path = try scratch.database(sql: try demoSQL())
        /// The run's task, for the chain to stop it as a signal would.
        final class RunTask: Sendable {
            let task = Mutex<Task<RunReport, any Error>?>(nil)
            func cancel() async throws {
                try await Poll.until("the run's task") { task.withLock { $0 } }.cancel()
            }
        }
        /// Every stream missing on chain; the run is stopped while it asks for the third page.
        struct StopsRun: ChainSource {
            let run: RunTask
            var displayName: String { "stops" }
            func open(_ query: SourceQuery) async throws(SourceError) -> any ChainView { View(run: run) }
            final class View: ChainView {
                let run: RunTask
                let calls = Mutex(0)
                init(run: RunTask) { self.run = run }
                var block: UInt64? { 555 }
                var duplicateKeys: [(key: String, count: Int)] { [] }
                func records(for keys: [String]) async throws(SourceError) -> [ChainLookup] {
                    if calls.withLock({ $0 += 1; return $0 }) == 3 { try? await run.cancel() }
                    return keys.map { _ in .missing }
                }
                func unvisited(limit: Int) async throws(SourceError) -> [SourceRecord] { [] }
            }
        }
        let runTask = RunTask()
        var request = try request(db: path, chain: StopsRun(run: runTask))
        request.batchSize = 2
        let task = Task { [request] in try await RunService().run(request) }
        runTask.task.withLock { $0 = task }
        let report = try await task.value
        #expect(report.status == .aborted)
        #expect(report.summary.streamsChecked > 0 && report.summary.streamsChecked < 9, "\(report.summary.streamsChecked)")
        #expect(report.summary.discrepancies == report.discrepancies.count && !report.discrepancies.isEmpty)
        #expect(report.error?.contains("(stopped after \(report.summary.streamsChecked) streams; the \(report.discrepancies.count) discrepancies found until then are kept)") == true,
                "\(report.error ?? "")")
        #expect(report.source.chainBlock == 555)
        let shown = try #require(try await SQLiteRunStore(path: path).show(id: report.runId))
        #expect(shown.run.status == .aborted)
        #expect(shown.run.streamsChecked == report.summary.streamsChecked)
        #expect(shown.run.discrepancyCount == report.discrepancies.count)
        #expect(shown.discrepancies.count == report.discrepancies.count)
        #expect(shown.run.error == report.error)
    }

    /// A report write that fails on the last page (the CLI cancels the run from `onFinding`) stops
    /// the run as on any other page: it ends `aborted`, not `drift`.
    @Test func aStopOnTheLastFindingIsAStop() async throws {
        let path = try scratch.database(sql: """
            CREATE TABLE streams (id TEXT PRIMARY KEY NOT NULL, sender TEXT NOT NULL, recipient TEXT NOT NULL, total_amount TEXT NOT NULL,
                released_amount TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL, cancelled_at TEXT);
            INSERT INTO streams VALUES ('only', '0x1', '0x2', '10', '0', 'active', '2026-11-01T09:00:00Z', NULL);
            """)
        let chain = try scratch.file("empty.json", #"{"blockNumber": 3, "records": []}"#)
        let request = try request(db: path, chain: ChainSnapshotFile(path: chain))
        let report = try await Task { [request] in
            try await RunService().run(request) { _ in withUnsafeCurrentTask { $0?.cancel() } }
        }.value
        #expect(report.status == .aborted, "\(report.status)")
        #expect(report.discrepancies.contains { $0.kind == .missingOnChain })
        #expect(try await SQLiteRunStore(path: path).latest()?.status == .aborted)
    }

    @Test func aDryRunWritesNothing() async throws {
        let path = try scratch.database(sql: try demoSQL())
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let report = try await RunService().run(try request(db: path, dryRun: true))
        #expect(report.dryRun && !report.persisted)
        #expect(report.summary.discrepancies == 8)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal") && !FileManager.default.fileExists(atPath: path + "-journal"))
    }

    @Test func aRulesErrorStopsBeforeAnythingIsWritten() async throws {
        let path = try scratch.database(sql: try demoSQL())
        let bad = try scratch.file("bad.yaml", "version: 1\n")
        var request = try request(db: path)
        request.rulesPath = bad
        await #expect(throws: RunService.StartError.self) { try await RunService().run(request) }
        #expect(try await DatabaseQueue(path: path).read { try $0.tableExists("reconciliation_runs") } == false)
    }

    @Test func aCleanRun() async throws {
        let path = try scratch.database(sql: streamsSQL([("a", "10", "5", "active", alice)]))
        let report = try await RunService().run(try request(db: path, chain: ChainSnapshotFile(path: try scratch.file("c.json", snapshotJSON([("a", "10", "5", 1, alice)])))))
        #expect(report.status == .clean)
        #expect(report.discrepancies.isEmpty && report.error == nil)
    }

    @Test func theReconcilerWritesOnlyItsOwnTables() async throws {
        let path = try scratch.database(sql: try demoSQL())
        let streamsBefore = try await DatabaseQueue(path: path).read { try Row.fetchAll($0, sql: "SELECT * FROM streams ORDER BY id") }
        _ = try await RunService().run(try request(db: path))
        let queue = try DatabaseQueue(path: path)
        #expect(try await queue.read { try Row.fetchAll($0, sql: "SELECT * FROM streams ORDER BY id") } == streamsBefore)
        let tables = try await queue.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") }
        // The run tables, and the migrations table that records their versions.
        #expect(tables == ["grdb_migrations", "reconciliation_discrepancies", "reconciliation_runs", "streams"])
    }

    @Test func runStoreErrors() async throws {
        let missing = SQLiteRunStore(path: "/no/app.sqlite")
        await #expect(throws: SourceError(.notFound, at: "/no/app.sqlite", "app database not found")) { try await missing.list() }
        do {
            _ = try await missing.begin(RunRecord(id: "r", startedAt: "2026-01-01T00:00:00Z", status: .running, dryRun: false, rulesName: "p", rulesSha256: "x"))
            Issue.record("began a run in a store that does not exist")
        } catch {
            guard case .unavailable(let reason) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(reason == SourceError(.notFound, at: "/no/app.sqlite", "app database not found"))
        }
        #expect(!FileManager.default.fileExists(atPath: "/no/app.sqlite"))
        let empty = try scratch.database("empty.sqlite", sql: "CREATE TABLE streams (id TEXT);")
        await #expect(throws: SourceError(.missingTable, at: empty, "no runs recorded yet")) { try await SQLiteRunStore(path: empty).list() }
    }
}
