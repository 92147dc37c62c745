import Foundation
import GRDB

/// The run records a test's app DB holds, read as an operator would, read-only.
public enum RunTables {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Run ids with their statuses; empty before the tables exist.
    public static func statuses(at path: String) throws -> [String: String] {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10) // the server may be writing a run record
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { db in
            guard try db.tableExists("reconciliation_runs") else { return [:] }
            return Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, status FROM reconciliation_runs").map {
                ($0["id"] as String, $0["status"] as String)
            })
        }
    }

    /// Waits until a run is recorded `running`, looking `attempts` times `interval` apart, and returns its id.
    public static func runningRun(at path: String, attempts: Int, interval: Duration) async throws -> String {
        for _ in 0..<attempts {
            if let (id, _) = try statuses(at: path).first(where: { $0.value == "running" }) { return id }
            try await Task.sleep(for: interval)
        }
        throw Failure(description: "no run was recorded running in \(path)")
    }
}
