import Foundation
import ReconSources

/// Tries `body` again, with backoff from 200 ms to 5 s, until it succeeds or `patience` is spent
/// (or the task is cancelled).
public enum RetryUntil {
    @discardableResult
    public static func done<T>(within patience: Duration, _ body: () async throws(SourceError) -> T) async throws(SourceError) -> T {
        let deadline = ContinuousClock.now + patience
        var pause = Duration.milliseconds(200)
        while true {
            do {
                return try await body()
            } catch {
                // A stopped task does not wait: its sleeps return at once, and it would spin.
                guard !Task.isCancelled, ContinuousClock.now + pause < deadline else { throw error }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(5))
            }
        }
    }
}

/// Who runs a reconciliation: `host:pid`, for the operator.
public enum RunOwner {
    public static var current: String { "\(ProcessInfo.processInfo.hostName):\(getpid())" }
}
