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

    /// Waits until a run is recorded `running`, and returns its id. Looks from a thread of its own,
    /// every 5 ms, and calls `then` on that thread the moment it sees the run: other tests busy on
    /// the cooperative pool cannot make it miss a short run. Gives up when `abandon` says so
    /// (the process that would record the run has ended), or after `deadline`.
    public static func runningRun(at path: String, deadline: Duration = .seconds(120), abandon: @escaping @Sendable () -> String? = { nil },
                                  then action: @escaping @Sendable (String) -> Void = { _ in }) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                let end = ContinuousClock.now + deadline
                while ContinuousClock.now < end {
                    do {
                        if let id = try statuses(at: path).first(where: { $0.value == "running" })?.key {
                            action(id)
                            return continuation.resume(returning: id)
                        }
                    } catch {
                        return continuation.resume(throwing: error)
                    }
                    if let reason = abandon() { return continuation.resume(throwing: Failure(description: reason)) }
                    Thread.sleep(forTimeInterval: 0.005)
                }
                continuation.resume(throwing: Failure(description: "no run was recorded running in \(path) within \(deadline)"))
            }
        }
    }
}
