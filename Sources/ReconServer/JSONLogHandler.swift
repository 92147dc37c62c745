import Foundation
import Logging

/// Logs one JSON object per line: `time`, `level`, `logger`, `message`, then every metadata key
/// (`run_id`, `hb.request.id`, …) as a string, for log shippers that index fields.
public struct JSONLogHandler: LogHandler {
    public typealias Sink = @Sendable (String) -> Void

    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    private let label: String
    private let sink: Sink

    /// Lines go to `sink`; by default to standard error, one `write` per line.
    public init(label: String, logLevel: Logger.Level = .info, sink: @escaping Sink = JSONLogHandler.standardError) {
        self.label = label
        self.logLevel = logLevel
        self.sink = sink
    }

    public static let standardError: Sink = { line in
        FileHandle.standardError.write(Data(line.utf8))
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let own = event.metadata { fields.merge(own) { $1 } }
        var object: [String: String] = fields.mapValues { "\($0)" }
        object["time"] = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        object["level"] = event.level.rawValue
        object["logger"] = label
        object["message"] = "\(event.message)"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(object) else { return }
        sink(String(decoding: data, as: UTF8.self) + "\n")
    }
}
