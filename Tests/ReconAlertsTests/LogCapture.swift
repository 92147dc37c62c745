import WebhookReceiver
import Logging
import Synchronization
import WebhookReceiver

/// Log lines a sender wrote, message and metadata rendered.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var logger: Logger {
        Logger(label: "test.alerts") { _ in Handler(capture: self) }
    }

    var entries: [String] { lines.withLock { $0 } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            let line = "\(event.level) \(event.message) " + fields.joined(separator: " ")
            capture.lines.withLock { $0.append(line) }
        }
    }
}

extension LogCapture {
    /// Waits until a line holds `text`, for up to `limit`.
    func waitFor(_ text: String, limit: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + limit
        while !entries.contains(where: { $0.contains(text) }) {
            guard ContinuousClock.now < deadline else { throw ReceiverFailure("no log line with '\(text)' after \(limit)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
