import Foundation
import GRDB
import Logging
import ReconEngine
import ReconSources
import ReconSQLite
import Reconciliation
import Synchronization
import TestSupport
import Testing

/// Crash detection by lease, a run's heartbeat, and a run whose record is locked: a run row
/// never stays `running` for good, even when `host:pid` is reused.
struct RunLeaseTests {
    let scratch: Scratch
    let rulesPath = repositoryRoot.appendingPathComponent("Rules/streams.yaml").path
    let host = ProcessInfo.processInfo.hostName

    init() throws {
        scratch = try Scratch()
    }

    /// A `running` row as a process on `owner` would have left it, its lease ending `lease` from now.
    func leftRunning(_ path: String, id: String, owner: String?, lease: TimeInterval?) async throws {
        // Creates the run tables (busy once a fresh row is left: the tables exist then).
        _ = try? await SQLiteRunStore(path: path).begin(RunRecord(id: "setup-\(id)", startedAt: "2026-01-01T00:00:00Z", status: .running,
                                                                  dryRun: false, rulesName: "p", rulesSha256: "x"))
        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: "DELETE FROM reconciliation_runs WHERE id = ?", arguments: ["setup-\(id)"])
            try db.execute(sql: """
                INSERT INTO reconciliation_runs (id, started_at, status, rules_name, rules_sha256, owner, lease_expires_at)
                VALUES (?, '2026-01-01T00:00:00Z', 'running', 'p', 'x', ?, ?)
                """, arguments: [id, owner, lease.map { RunReport.timestamp(Date().addingTimeInterval($0)) }])
        }
    }

    func run(_ path: String) async throws -> RunReport {
        try await RunService().run(RunService.Request(rulesPath: rulesPath, db: SQLiteAppDatabase(path: path),
                                                      chain: ChainSnapshotFile(path: demoChainPath), store: SQLiteRunStore(path: path)))
    }

    /// A container restarted as PID 1 under the same host name: PID 1 is alive (it is init here),
    /// so `host:pid` alone would call the dead run alive forever. Its lease ran out: it is aborted.
    /// And only the lease counts: a fresh lease whose pid is missing here may be a live run in
    /// another pid space under the same host name (two containers), and is left alone.
    @Test func aDeadRunWhoseOwnerPidIsReusedIsAbortedOnceItsLeaseRunsOut() async throws {
        let path = try scratch.database(sql: try demoSQL())
        try await leftRunning(path, id: "pid-1-expired", owner: "\(host):1", lease: -1)
        try await leftRunning(path, id: "pid-1-fresh", owner: "\(host):1", lease: 3600)
        try await leftRunning(path, id: "elsewhere-expired", owner: "another-host:4242", lease: -1)
        try await leftRunning(path, id: "elsewhere-fresh", owner: "another-host:4242", lease: 3600)
        try await leftRunning(path, id: "here-dead-fresh", owner: "\(host):2147483646", lease: 3600)
        try await leftRunning(path, id: "no-lease", owner: "\(host):1", lease: nil)
        // The fresh leases hold the store: the run is refused, but marks the gone ones on its way.
        do {
            _ = try await run(path)
            Issue.record("a run started while fresh leases held the store")
        } catch {
            guard case .busy(let running)? = error as? RunService.StartError else {
                Issue.record("\(error)")
                return
            }
            #expect(["pid-1-fresh", "elsewhere-fresh", "here-dead-fresh"].contains(running.runId ?? ""))
        }
        let statuses = try RunTables.statuses(at: path)
        #expect(statuses == [
            "pid-1-expired": "aborted", "pid-1-fresh": "running", "elsewhere-expired": "aborted", "elsewhere-fresh": "running",
            "here-dead-fresh": "running", "no-lease": "aborted",
        ])
    }

    /// A long run renews its lease, so another run does not take it for dead.
    @Test func aRunRenewsItsLeaseWhileItRuns() async throws {
        let path = try scratch.database(sql: try demoSQL())
        /// Opens the chain only once the run's lease has been renewed.
        let patient = HookedChain(displayName: "patient") {
            var seen: Set<String> = []
            try await Poll.until("a renewal of the lease", deadline: .seconds(120), interval: .milliseconds(20)) {
                var configuration = Configuration()
                configuration.busyMode = .timeout(10) // the run may be renewing its lease
                let lease = try await DatabaseQueue(path: path, configuration: configuration).read { db in
                    try String.fetchOne(db, sql: "SELECT lease_expires_at FROM reconciliation_runs WHERE status = 'running'")
                }
                if let lease { seen.insert(lease) }
                return seen.count >= 2
            }
            // Its lease holds: a run starting now is refused, and leaves it alone.
            do {
                _ = try await SQLiteRunStore(path: path).begin(RunRecord(id: "other", startedAt: RunReport.timestamp(Date()), status: .running,
                                                                          dryRun: false, rulesName: "p", rulesSha256: "x", owner: "another-host:1"))
                Issue.record("a second run began while the first renewed its lease")
            } catch {
                guard case .busy(let running)? = error as? RunStoreError, running.runId != nil else {
                    Issue.record("\(error)")
                    return
                }
            }
        }
        // A lease long enough that a test process busy with other tests still renews it in time.
        let store = SQLiteRunStore(path: path, options: RunStoreOptions(lease: .seconds(15)))
        let report = try await RunService().run(RunService.Request(rulesPath: rulesPath, db: SQLiteAppDatabase(path: path),
                                                                   chain: patient, store: store))
        #expect(report.status == .drift, "\(report.error ?? "")")
        #expect(try RunTables.statuses(at: path) == [report.runId: "drift"])
    }

    /// The app holds a write lock past the store's busy timeout while the run completes: the run
    /// is marked `failed` with the reason as soon as the lock is released, never left `running`.
    @Test func aRunWhoseRecordIsLockedEndsFailedWithTheReason() async throws {
        let path = try scratch.database(sql: try demoSQL())
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true
        let app = try DatabaseQueue(path: path, configuration: configuration)
        /// Takes the app's write lock when the run opens the chain, and keeps it.
        let locking = HookedChain(displayName: "locking") {
            try await app.writeWithoutTransaction { try $0.execute(sql: "BEGIN IMMEDIATE") }
        }
        let logs = LogLines()
        let store = SQLiteRunStore(path: path, options: RunStoreOptions(busyTimeout: .milliseconds(100)))
        let request = RunService.Request(rulesPath: rulesPath, db: SQLiteAppDatabase(path: path), chain: locking, store: store,
                                         logger: Logger(label: "test") { _ in logs })
        async let ended = RunService().run(request)
        try await Poll.until("the failed completion logged") { logs.contains("the run record could not be completed; marking the run failed") }
        #expect(try await SQLiteRunStore(path: path).latest()?.status == .running, "still locked")
        try await app.writeWithoutTransaction { try $0.execute(sql: "COMMIT") }
        let report = try await ended
        #expect(report.status == .failed && !report.persisted)
        let run = try #require(try await SQLiteRunStore(path: path).latest())
        #expect(run.status == .failed)
        #expect(run.error?.contains("database is locked") == true, "\(run.error ?? "")")
        #expect(run.error == report.error)
    }
}

/// A log handler that keeps the messages, for a test to wait for one.
final class LogLines: LogHandler, Sendable {
    private let messages = Mutex<[String]>([])
    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        messages.withLock { $0.append(event.message.description) }
    }

    func contains(_ message: String) -> Bool { messages.withLock { $0.contains(message) } }
}
