import Foundation
import Synchronization
import ReconEngine
import ReconSources

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
        /// The pinned block's hash, when the chain source knows it (a JSON-RPC node).
        public var chainBlockHash: String?
        /// With several deployments (`evm.deployments`): each one's pin, or why it could not be
        /// read; nil (and not written) for one chain.
        public var deployments: [DeploymentPin]?

        public init(chainBlock: UInt64?, chainBlockHash: String? = nil) {
            self.chainBlock = chainBlock
            self.chainBlockHash = chainBlockHash
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(chainBlock, forKey: .chainBlock)
            try container.encodeIfPresent(chainBlockHash, forKey: .chainBlockHash)
            if let deployments, !deployments.isEmpty { try container.encode(deployments, forKey: .deployments) }
        }
    }

    public struct Summary: Sendable, Codable, Equatable {
        public var streamsChecked: Int
        public var discrepancies: Int
        public var byKind: [String: Int]
        public var streamsByStatus: [String: Int]
        /// Discrepancies `new` and `persisting` against the previous run, and that run's `resolved`.
        public var byStatus: [String: Int] = ["new": 0, "persisting": 0, "resolved": 0]
        /// Discrepancies an acknowledgement covers.
        public var acknowledged = 0

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
    /// The previous completed run of the same rules this one was compared with; nil for the first.
    public var previousRunId: String?
    /// The previous run's discrepancies this run no longer found (empty unless it checked every stream).
    public var resolved: [RunBaseline.Entry] = []
    /// Acknowledgements past their `expires` day, which no longer apply.
    public var expiredAcks: [Acknowledgement] = []
    /// Acknowledgements that apply but cover nothing this run found.
    public var staleAcks: [Acknowledgement] = []
    /// The run key (`--run-key`, `Idempotency-Key`) it was started with.
    public var runKey: String?
    /// How the alert for this run was delivered; nil when none was due or none is configured.
    public var alert: AlertDelivery?
    /// The part of the keys the run checked (`--shard I/N`), as `{index, count}`; absent when it checked every key.
    public var shard: Shard?
    /// What an incremental run (`--incremental`) covered, and whether it could be one; nil when
    /// none was asked for.
    public var coverage: Coverage?
    /// Where each rule is written in the rules file, for formats that point there (SARIF, JUnit); never in the JSON.
    @NotEncoded public var ruleLocations: RuleLocations? = nil

    public init(
        runId: String, status: RunStatus, dryRun: Bool, persisted: Bool, startedAt: String, finishedAt: String, rules: Rules,
        source: Source, summary: Summary, discrepancies: [Finding], error: String? = nil, runKey: String? = nil
    ) {
        self.runKey = runKey
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

    public enum CodingKeys: String, CodingKey {
        case runId, status, dryRun, persisted, startedAt, finishedAt, rules, source, summary, discrepancies, error
        case previousRunId, resolved, expiredAcks, staleAcks, runKey, alert, mode, coverage, shard
    }

    /// Every key is written (absent ones as null, except `error`), in the shape `json()` writes.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(discrepancies, forKey: .discrepancies)
        try NDJSONReport.SummaryLine(report: self).encode(to: encoder)
    }

    /// Reads a report, or a stored report's envelope, which has no `discrepancies`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        runId = try container.decode(String.self, forKey: .runId)
        status = try container.decode(RunStatus.self, forKey: .status)
        dryRun = try container.decode(Bool.self, forKey: .dryRun)
        persisted = try container.decode(Bool.self, forKey: .persisted)
        startedAt = try container.decode(String.self, forKey: .startedAt)
        finishedAt = try container.decode(String.self, forKey: .finishedAt)
        rules = try container.decode(Rules.self, forKey: .rules)
        source = try container.decode(Source.self, forKey: .source)
        summary = try container.decode(Summary.self, forKey: .summary)
        discrepancies = try container.decodeIfPresent([Finding].self, forKey: .discrepancies) ?? []
        error = try container.decodeIfPresent(String.self, forKey: .error)
        previousRunId = try container.decodeIfPresent(String.self, forKey: .previousRunId)
        resolved = try container.decodeIfPresent([RunBaseline.Entry].self, forKey: .resolved) ?? []
        expiredAcks = try container.decodeIfPresent([Acknowledgement].self, forKey: .expiredAcks) ?? []
        staleAcks = try container.decodeIfPresent([Acknowledgement].self, forKey: .staleAcks) ?? []
        runKey = try container.decodeIfPresent(String.self, forKey: .runKey)
        alert = try container.decodeIfPresent(AlertDelivery.self, forKey: .alert)
        shard = try container.decodeIfPresent(ShardPart.self, forKey: .shard)?.shard
        coverage = try container.decodeIfPresent(Coverage.self, forKey: .coverage)
    }

    /// The report as JSON with sorted keys, so two runs over the same data print alike. The
    /// other members go through `JSONEncoder`; the discrepancies, which can number in the
    /// hundreds of thousands, through `FindingJSON`, which writes the same text. Only `alert`
    /// sorts before `discrepancies`: it is written first, then the discrepancies, then the
    /// encoder's object of the other members from its first member on.
    public func json(pretty: Bool = true) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        // Strings, numbers and booleans always encode; the object always has members (runId, …).
        // `alert` sorts before `discrepancies`: written first, from an object of its own whose
        // braces are dropped (and, pretty, their line breaks: its members are at the same depth).
        guard let envelope = try? NDJSONReport.SummaryLine(report: self, part: .afterDiscrepancies).encoded(pretty: pretty),
              envelope.first == UInt8(ascii: "{"), envelope.count > 2,
              let before = try? encoder.encode(NDJSONReport.SummaryLine(report: self, part: .beforeDiscrepancies)),
              before.count > (pretty ? 4 : 2)
        else { return (try? encoder.encode(self)) ?? Data() }
        var data = Data((pretty ? "{\n" : "{").utf8)
        data.append(before.dropFirst(pretty ? 2 : 1).dropLast(pretty ? 2 : 1))
        data.append(contentsOf: (pretty ? ",\n  \"discrepancies\" : [" : ",\"discrepancies\":[").utf8)
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

    /// The highest severity among the findings no acknowledgement covers, if any: what
    /// `--fail-on` and the exit status look at.
    public var highestSeverity: Severity? { discrepancies.lazy.filter { $0.tracking?.acknowledged == nil }.map(\.severity).max() }
}
