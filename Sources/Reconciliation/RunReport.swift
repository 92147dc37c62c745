import Foundation
import Synchronization
import ReconEngine

/// How a run ended.
public enum RunStatus: String, Sendable, Codable {
    case running, clean, drift, failed, aborted
}

/// The report of one run: the CLI's `--format json` and the HTTP body (its findings: docs/rules.md, "Findings").
public struct RunReport: Sendable, Codable, Equatable {
    public struct Rules: Sendable, Codable, Equatable {
        public var name: String
        public var sha256: String

        public init(name: String, sha256: String) {
            self.name = name
            self.sha256 = sha256
        }
    }

    public struct Source: Sendable, Codable, Equatable {
        public var chainBlock: UInt64?

        public init(chainBlock: UInt64?) {
            self.chainBlock = chainBlock
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(chainBlock, forKey: .chainBlock)
        }
    }

    public struct Summary: Sendable, Codable, Equatable {
        public var streamsChecked: Int
        public var discrepancies: Int
        public var byKind: [String: Int]
        public var streamsByStatus: [String: Int]

        public init(streamsChecked: Int, discrepancies: Int, byKind: [String: Int], streamsByStatus: [String: Int]) {
            self.streamsChecked = streamsChecked
            self.discrepancies = discrepancies
            self.byKind = byKind
            self.streamsByStatus = streamsByStatus
        }
    }

    public var runId: String
    public var status: RunStatus
    public var dryRun: Bool
    public var persisted: Bool
    public var startedAt: String
    public var finishedAt: String
    public var rules: Rules
    public var source: Source
    public var summary: Summary
    public var discrepancies: [Finding]
    /// Why the run failed, when it did.
    public var error: String?
    /// Where each rule is written in the rules file, for formats that point there (SARIF, JUnit); never in the JSON.
    @NotEncoded public var ruleLocations: RuleLocations? = nil

    public init(
        runId: String, status: RunStatus, dryRun: Bool, persisted: Bool, startedAt: String, finishedAt: String, rules: Rules,
        source: Source, summary: Summary, discrepancies: [Finding], error: String? = nil
    ) {
        self.runId = runId
        self.status = status
        self.dryRun = dryRun
        self.persisted = persisted
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.rules = rules
        self.source = source
        self.summary = summary
        self.discrepancies = discrepancies
        self.error = error
    }

    /// The report as JSON with sorted keys, so two runs over the same data print alike. The
    /// other members go through `JSONEncoder`; the discrepancies, which can number in the
    /// hundreds of thousands, through `FindingJSON`, which writes the same text. `discrepancies`
    /// sorts before every other key, so it is the object's first member: it is written right
    /// after the opening brace, and the encoder's object follows from its first member on.
    public func json(pretty: Bool = true) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        // Strings, numbers and booleans always encode; the object always has members (runId, …).
        guard let envelope = try? encoder.encode(NDJSONReport.SummaryLine(report: self)), envelope.first == UInt8(ascii: "{"),
              envelope.count > 2 else { return (try? encoder.encode(self)) ?? Data() }
        var data = Data((pretty ? "{\n  \"discrepancies\" : [" : "{\"discrepancies\":[").utf8)
        if discrepancies.isEmpty {
            data.append(contentsOf: (pretty ? "\n\n  ]," : "],").utf8)
        } else {
            if pretty { data.append(UInt8(ascii: "\n")) }
            // Two halves written on two threads when there are many.
            let halves = discrepancies.count > 10_000 ? 2 : 1
            let parts = Mutex([[UInt8]](repeating: [], count: halves))
            DispatchQueue.concurrentPerform(iterations: halves) { half in
                let range = discrepancies.count * half / halves..<discrepancies.count * (half + 1) / halves
                var bytes: [UInt8] = []
                bytes.reserveCapacity(range.count * (pretty ? 400 : 300))
                for index in range {
                    if pretty { bytes.append(contentsOf: "    ".utf8) }
                    FindingJSON.append(discrepancies[index], pretty: pretty, indent: 4, to: &bytes)
                    if index < discrepancies.count - 1 { bytes.append(contentsOf: (pretty ? ",\n" : ",").utf8) }
                }
                parts.withLock { $0[half] = bytes }
            }
            parts.withLock { parts in for part in parts { data.append(contentsOf: part) } }
            data.append(contentsOf: (pretty ? "\n  ]," : "],").utf8)
        }
        data.append(envelope.dropFirst())
        return data
    }

    /// `2026-11-25T12:00:00.123Z`: milliseconds, so runs started in one second still order.
    public static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

extension RunReport {
    /// The counts of each kind present, keyed by the kind's report name.
    static func byKind(_ findings: [Finding]) -> [String: Int] {
        Dictionary(grouping: findings, by: \.kind.rawValue).mapValues(\.count)
    }

    /// The highest severity among the findings, if any.
    public var highestSeverity: Severity? { discrepancies.map(\.severity).max() }
}
