import Foundation
import GRDB
import ReconEngine
import ReconSources
import Testing

/// The repository root, where `Rules/` and `Fixtures/` live.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

/// A scratch directory, removed when the value is released.
final class Scratch {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("streamrecon-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// An SQLite database built from SQL.
    func database(_ name: String = "app.sqlite", sql: String) throws -> String {
        let path = path(name)
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: sql) }
        try queue.close()
        return path
    }

    func file(_ name: String, _ contents: String) throws -> String {
        let path = path(name)
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// The demo rules, compiled.
func demoRuleSet() throws -> CompiledRuleSet {
    try RulesCompiler().load(path: repositoryRoot.appendingPathComponent("Rules/streams.yaml").path)
}

/// The demo rules without their nullable field (`Fixtures/four-field-rules.yaml`): for
/// tests of the sources' mechanics over tables and snapshots of their own.
func fourFieldRuleSet() throws -> CompiledRuleSet {
    try RulesCompiler().load(path: repositoryRoot.appendingPathComponent("Fixtures/four-field-rules.yaml").path)
}

/// The demo app DB's SQL.
func demoSQL() throws -> String {
    try String(contentsOf: repositoryRoot.appendingPathComponent("Fixtures/demo.sql"), encoding: .utf8)
}

let demoChainPath = repositoryRoot.appendingPathComponent("Fixtures/demo-chain.json").path

/// The demo snapshot, opened once `beforeOpening` has run: a test acts at the moment the run
/// reads the chain (looks at the run table, takes a lock, waits for a lease renewal). An error
/// it throws fails the open; one that is not a `SourceError` is named after the chain.
struct HookedChain: ChainSource {
    let displayName: String
    let beforeOpening: @Sendable () async throws -> Void

    func open(_ query: SourceQuery) async throws(SourceError) -> any ChainView {
        do {
            try await beforeOpening()
        } catch let error as SourceError {
            throw error
        } catch {
            throw SourceError(.unreadable, at: displayName, "\(error)")
        }
        return try await ChainSnapshotFile(path: demoChainPath).open(query)
    }
}

/// A streams table with the demo columns and the given rows `(id, total, released, status, recipient)`.
func streamsSQL(_ rows: [(String, String, String, String, String)]) -> String {
    var sql = "CREATE TABLE streams (id TEXT PRIMARY KEY, total_amount TEXT, released_amount TEXT, status TEXT, recipient TEXT, cancelled_at TEXT);\n"
    for row in rows {
        sql += "INSERT INTO streams (id, total_amount, released_amount, status, recipient) VALUES ('\(row.0)', '\(row.1)', '\(row.2)', '\(row.3)', '\(row.4)');\n"
    }
    return sql
}

/// A chain snapshot with records `(id, deposited, withdrawn, state, recipient)`.
func snapshotJSON(block: Int = 100, _ records: [(String, String, String, Int, String)]) -> String {
    let items = records.map { #"{"id":"\#($0.0)","deposited":"\#($0.1)","withdrawn":"\#($0.2)","state":\#($0.3),"recipient":"\#($0.4)"}"# }
    return #"{"blockNumber":\#(block),"records":[\#(items.joined(separator: ","))]}"#
}

let alice = "0x52908400098527886E0F7030069857D2E4169EE7"
