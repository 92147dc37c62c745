import Foundation

/// Where a run's alert goes (docs/operations.md, "Tonight's drift and yesterday's"): a sender
/// owns delivery (signing, timeouts, retries); the run decides whether to alert and what to say.
public protocol AlertSender: Sendable {
    /// The destination as it may be logged and stored: scheme, host and port only, never the
    /// path, query or user info, where webhook secrets live.
    var displayName: String { get }
    /// Delivers one JSON message. Never throws: every outcome is an `AlertDelivery`. A cancelled
    /// task (the process is stopping) ends it at once with `.stopped`.
    func send(_ body: Data) async -> AlertDelivery
}

/// How one alert's delivery ended, as the run row's `alert_status` records it.
public struct AlertDelivery: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Outcome: String, Sendable, Codable, CaseIterable {
        /// The receiver answered 2xx.
        case delivered
        /// Every try failed, or the receiver refused it (a 4xx other than 429, a redirect).
        case failed
        /// The process was stopped during delivery.
        case stopped
    }

    public var outcome: Outcome
    /// How many requests were made.
    public var attempts: Int
    /// The last answer or error, for the operator: "HTTP 204", "HTTP 500", "timed out after 10 s".
    /// Never holds the URL.
    public var detail: String

    public init(outcome: Outcome, attempts: Int, detail: String) {
        self.outcome = outcome
        self.attempts = attempts
        self.detail = detail
    }

    /// `delivered (HTTP 204, 1 try)`, `failed (HTTP 500, 5 tries)`.
    public var description: String {
        "\(outcome.rawValue) (\(detail), \(attempts) \(attempts == 1 ? "try" : "tries"))"
    }
}
