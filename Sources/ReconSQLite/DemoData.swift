import Foundation
import GRDB
import ReconSources

/// The bundled demo: `Fixtures/demo.sql` builds the demo app DB (into a git-ignored path, on
/// first use) and `Fixtures/demo-chain.json` is its chain snapshot.
public struct DemoData: Sendable {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    public var sqlPath: String { root.appendingPathComponent("Fixtures/demo.sql").path }
    public var chainPath: String { root.appendingPathComponent("Fixtures/demo-chain.json").path }
    public var databasePath: String { root.appendingPathComponent("var/demo.sqlite").path }

    /// The demo DB to read without writing anything: `var/demo.sqlite` when it exists, else a
    /// throwaway one built in `scratch` (which the caller removes).
    public func databaseForReading(scratch: URL) throws(SourceError) -> String {
        guard !FileManager.default.fileExists(atPath: databasePath) else { return databasePath }
        let path = scratch.appendingPathComponent("demo.sqlite").path
        try prepareDatabase(at: path)
        return path
    }

    /// Builds the demo DB at `path` (default: `var/demo.sqlite`) when absent. Returns true when it was built now.
    @discardableResult
    public func prepareDatabase(at path: String? = nil) throws(SourceError) -> Bool {
        let databasePath = path ?? databasePath
        guard !FileManager.default.fileExists(atPath: databasePath) else { return false }
        guard let sql = try? String(contentsOfFile: sqlPath, encoding: .utf8) else {
            throw SourceError(.notFound, at: sqlPath, "demo SQL not found; run from the streamrecon checkout or pass --db")
        }
        let target = URL(fileURLWithPath: databasePath)
        let temporary = target.deletingLastPathComponent().appendingPathComponent(".demo-\(UUID().uuidString).sqlite")
        do {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            let queue = try DatabaseQueue(path: temporary.path)
            try queue.write { db in try db.execute(sql: sql) }
            try queue.close()
            try FileManager.default.moveItem(at: temporary, to: target)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw SourceError(.unreadable, at: sqlPath, "cannot build the demo database: \(error)")
        }
        return true
    }
}
