import Foundation

/// Waiting for a state in a test: look again and again until it holds, up to a deadline generous
/// enough for a busy machine. Never a fixed sleep: on a loaded CI machine any fixed time is too
/// short. Always async: a test that blocks a thread of the (two-thread, on CI) cooperative pool
/// starves every other test's polling.
public enum Poll {
    public struct Timeout: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// The first non-nil value `probe` gives, looking every `interval` until `deadline` has passed.
    public static func until<T>(_ what: @autoclosure () -> String, deadline: Duration = .seconds(120), interval: Duration = .milliseconds(10),
                                _ probe: () async throws -> T?) async throws -> T {
        let end = ContinuousClock.now + deadline
        while true {
            if let value = try await probe() { return value }
            guard ContinuousClock.now < end else { throw Timeout(description: "\(what()) did not happen within \(deadline)") }
            try await Task.sleep(for: interval)
        }
    }

    /// `until` for a condition.
    public static func until(_ what: @autoclosure () -> String, deadline: Duration = .seconds(120), interval: Duration = .milliseconds(10),
                             _ condition: () async throws -> Bool) async throws {
        _ = try await until(what(), deadline: deadline, interval: interval) { try await condition() ? true : nil }
    }
}
