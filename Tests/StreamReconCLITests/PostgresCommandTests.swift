import Foundation
import LoopbackHTTP
import PostgresRig
import ReconPostgres
import Reconciliation
import TestSupport
import Testing

/// `run`, `runs` and `serve` against a real PostgreSQL, through the real binary: the demo gives
/// the same report as from SQLite, a SELECT-only role works with `--store` elsewhere, one run
/// at a time per store, failures are one line, and the password is shown nowhere.
@Suite("PostgreSQL through the CLI", .enabled(if: PostgresRig.isAvailable, "no PostgreSQL server binaries on this machine (/usr/lib/postgresql/*/bin)"))
struct PostgresCommandTests {
    let scratch: RunCommandTests
    let rig: PostgresRig
    let database: String
    static let password = "Sup3r-Secret-Pass"

    init() async throws {
        scratch = try RunCommandTests()
        rig = try await PostgresRig.shared()
        database = "cli_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try rig.createDatabase(database)
        try rig.psql(try String(contentsOf: scratch.directory.appendingPathComponent("Fixtures/demo.sql"), encoding: .utf8), database: database)
        // The app's own role, owner of its database (so it may create the run tables), with the password the tests look for.
        try rig.psql("""
            CREATE ROLE \(owner) LOGIN PASSWORD '\(Self.password)'; ALTER DATABASE \(database) OWNER TO \(owner);
            GRANT SELECT ON streams TO \(owner);
            """, database: database)
    }

    var owner: String { "app_" + database.suffix(12) }
    var url: String { rig.url(user: owner, password: Self.password, database: database) }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> CLIRunner.Output {
        try CLIRunner.run(arguments, in: scratch.directory,
                          environment: ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }.merging(environment) { $1 })
    }

    func expectNoSecret(_ outputs: CLIRunner.Output..., sourceLocation: SourceLocation = #_sourceLocation) {
        for output in outputs {
            #expect(!output.stdout.contains(Self.password) && !output.stderr.contains(Self.password), sourceLocation: sourceLocation)
        }
    }

    @Test func theDemoGivesTheSameReportFromPostgresAsFromSQLite() throws {
        let fromPostgres = try run(["run", "--db", url, "--format", "json"])
        let fromSQLite = try run(["run", "--dry-run", "--format", "json"])
        #expect(fromPostgres.status == 1 && fromSQLite.status == 1, "\(fromPostgres.stderr)")
        let postgres = try scratch.json(fromPostgres.stdout), sqlite = try scratch.json(fromSQLite.stdout)
        for member in ["summary", "source", "status", "rules"] {
            #expect((postgres[member] as? NSObject) == (sqlite[member] as? NSObject), "\(member)")
        }
        // The same discrepancies, fingerprints and all; each run first saw them itself.
        func found(_ report: [String: Any]) -> NSArray {
            ((report["discrepancies"] as? [[String: Any]]) ?? []).map { $0.filter { !["firstSeenAt", "firstSeenRunId"].contains($0.key) } } as NSArray
        }
        #expect(found(postgres) == found(sqlite))
        // Recorded in the app DB, and read back.
        let runId = try #require(postgres["runId"] as? String)
        let list = try run(["runs", "list", "--db", url])
        #expect(list.status == 0 && list.stdout.contains(runId) && list.stdout.contains("drift"))
        let show = try run(["runs", "show", runId, "--db", url, "--format", "json"])
        #expect(show.status == 0 && show.stdout.contains("\"discrepancy_count\" : 8"))
        let text = try run(["runs", "show", runId, "--db", url])
        #expect(text.stdout.hasPrefix("Run \(runId): drift"))
        expectNoSecret(fromPostgres, list, show, text)
        #expect(try rig.psql("SELECT count(*) FROM reconciliation_discrepancies", database: database) == "8")
    }

    /// The password from PGPASSWORD, the rest from the URL; a role that may only SELECT the
    /// streams table, with the runs recorded in an SQLite file: nothing is written to the app DB.
    @Test func aSelectOnlyRoleWithTheStoreElsewhereWritesNothingToTheAppDatabase() throws {
        let role = "reader_" + database.suffix(10)
        try rig.psql("CREATE ROLE \(role) LOGIN PASSWORD 'reader-Pass-1'; GRANT SELECT ON streams TO \(role);", database: database)
        let store = scratch.directory.appendingPathComponent("runs.sqlite").path
        let result = try run(["run", "--db", rig.url(user: role, database: database), "--store", store, "--format", "json"],
                             environment: ["PGPASSWORD": "reader-Pass-1"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(try rig.psql("SELECT to_regclass('reconciliation_runs') IS NULL AND to_regclass('reconciliation_schema_migrations') IS NULL",
                             database: database) == "t")
        #expect(try run(["runs", "list", "--store", store]).stdout.contains("drift"))
        // Without --store the runs would go to the app DB, which this role may not write: one line, exit 3.
        let refused = try run(["run", "--db", rig.url(user: role, database: database)], environment: ["PGPASSWORD": "reader-Pass-1"])
        #expect(refused.status == 3)
        #expect(refused.stderr.hasPrefix("error: cannot record the run: postgres://\(role)@127.0.0.1:\(rig.port)/\(database): permission denied for schema public"),
                "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1 && !refused.stderr.contains("reader-Pass-1"))
    }

    @Test func aSecondRunWhileOneHoldsTheStoreFailsAtOnceNamingIt() async throws {
        let holder = PostgresRunStore(location: try PostgresLocation(url, environment: [:]))
        _ = try await holder.begin(RunRecord(id: "held-by-another-host", startedAt: "2026-12-01T00:00:00Z", status: .running, dryRun: false,
                                             rulesName: "payment-streams", rulesSha256: "x", owner: "other-host:4242"))
        let refused = try run(["run", "--db", url])
        #expect(refused.status == 3)
        #expect(refused.stderr == """
            error: postgres://\(owner)@127.0.0.1:\(rig.port)/\(database): run held-by-another-host is in progress \
            (started 2026-12-01T00:00:00Z by other-host:4242); one run at a time per store

            """)
        // The server answers 409 with the running run's id.
        let server = try await ServeProcess.start(in: scratch.directory, ["--db", url, "--rules", "Rules/streams.yaml", "--chain", "Fixtures/demo-chain.json"])
        let busy = try await LoopbackHTTP.post(port: server.port, token: ServeCommandTests.token)
        #expect(busy.status == 409)
        #expect(String(decoding: busy.body, as: UTF8.self).contains("\"runId\":\"held-by-another-host\""))
        // Once it lets go, the next run runs, and it is recorded in the app DB.
        await holder.release()
        let ran = try await LoopbackHTTP.post(port: server.port, token: ServeCommandTests.token)
        #expect(ran.status == 200, "\(String(decoding: ran.body, as: UTF8.self))")
        #expect(!(try server.log()).contains(Self.password))
        #expect(try rig.psql("SELECT status FROM reconciliation_runs WHERE id <> 'held-by-another-host'", database: database) == "drift")
    }

    @Test func failuresToConnectAreOneLineWithoutTheSecret() throws {
        let wrong = try run(["run", "--db", rig.url(user: owner, password: "Wr0ng-" + Self.password, database: database)])
        #expect(wrong.status == 3)
        #expect(wrong.stderr == """
            error: cannot record the run: postgres://\(owner)@127.0.0.1:\(rig.port)/\(database): cannot log in: \
            password authentication failed for user "\(owner)" (SQLSTATE 28P01)

            """)
        let unreachable = try run(["run", "--db", "postgres://postgres:\(Self.password)@127.0.0.1:1/app?connect_timeout=5"])
        #expect(unreachable.status == 3)
        #expect(unreachable.stderr == "error: cannot record the run: postgres://postgres@127.0.0.1:1/app: cannot connect: connection refused\n")
        let noDatabase = try run(["run", "--dry-run", "--format", "json", "--db", rig.url(user: owner, password: Self.password, database: "nope")])
        #expect(noDatabase.status == 3)
        #expect(noDatabase.stderr == "error: postgres://\(owner)@127.0.0.1:\(rig.port)/nope: database \"nope\" does not exist (SQLSTATE 3D000)\n")
        let badPort = try run(["run", "--db", "postgres://postgres:\(Self.password)@127.0.0.1:port/app"])
        #expect(badPort.status == 2 && badPort.stderr.contains("the port is not a whole number from 1 to 65535"))
        let badScheme = try run(["run", "--db", "postgress://postgres:\(Self.password)@127.0.0.1/app"])
        #expect(badScheme.status == 2 && badScheme.stderr.contains("'postgress://' databases are not supported"))
        expectNoSecret(wrong, unreachable, noDatabase, badPort, badScheme)
    }
}
