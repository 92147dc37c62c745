import Foundation
import PostgresRig
import ReconEngine
import ReconPostgres
import ReconSources
import Testing

/// The repository root, where `Rules/` and `Fixtures/` live.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
let demoChainPath = repositoryRoot.appendingPathComponent("Fixtures/demo-chain.json").path

func demoSQL() throws -> String {
    try String(contentsOf: repositoryRoot.appendingPathComponent("Fixtures/demo.sql"), encoding: .utf8)
}

/// A database of its own in the tests' shared PostgreSQL server, made from `sql`.
struct TestDatabase {
    let rig: PostgresRig
    let name: String

    init(_ sql: String) async throws {
        rig = try await PostgresRig.shared()
        name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try rig.createDatabase(name)
        if !sql.isEmpty { try rig.psql(sql, database: name) }
    }

    func url(user: String? = nil, password: String? = nil, query: String = "") -> String {
        rig.url(user: user, password: password, database: name, query: query)
    }

    @discardableResult
    func psql(_ sql: String) throws -> String { try rig.psql(sql, database: name) }

    /// Ends every other session on this database: a connection lost, or a slow statement left running.
    func terminateOtherSessions() throws {
        _ = try psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
    }

    func location(query: String = "") throws -> PostgresLocation {
        try PostgresLocation(url(query: query), environment: [:])
    }
}

/// Rules mapping `columns` (each a `string` field unless typed) of `table`, keyed by `id`.
func rules(table: String = "streams", schema: String? = nil, _ fields: [(name: String, type: String)]) throws -> CompiledRuleSet {
    let yaml = """
        version: 1
        name: t
        key: { db: id, chain: id }
        db: { table: \(table)\(schema.map { ", schema: \($0)" } ?? "") }
        fields:
        \(fields.map { "  \($0.name): { type: \($0.type) }" }.joined(separator: "\n"))
        """
    let compiled = RulesCompiler().compile(yaml: yaml, file: "t.yaml")
    return try #require(compiled.ruleSet, "\(compiled.diagnostics)")
}

/// Every row the source reads, by key.
func readAll(_ database: PostgresAppDatabase, _ ruleSet: CompiledRuleSet, batchSize: Int = 2) async throws -> [String: [RawValue]] {
    let pages = try await database.open(SourceQuery(ruleSet: ruleSet, batchSize: batchSize))
    var rows: [String: [RawValue]] = [:]
    while let page = try await pages.next() {
        for record in page { rows[record.key] = record.values }
    }
    return rows
}

/// Whether the tests can start a PostgreSQL server; CI can.
let postgresAvailable = PostgresRig.isAvailable
