import ReconEngine

/// A report format: a plugin that writes findings as they are found and the report at the end.
public protocol ReportFormat: Sendable {
    /// The `--format` name.
    static var identifier: String { get }
    static var summary: String { get }
    init(output: ReportOutput)
    /// Called once per finding, as it is found; a write that fails throws.
    mutating func found(_ finding: Finding) throws(ReportOutput.WriteFailure)
    /// Called once, with the complete report; a write that fails throws.
    mutating func finish(_ report: RunReport) throws(ReportOutput.WriteFailure)
}

/// The report formats `run` offers. Adding one is adding its type here.
public enum ReportFormats {
    public static let all: [any ReportFormat.Type] = [TableReport.self, JSONReport.self, NDJSONReport.self, SARIFReport.self, JUnitReport.self]

    public static func named(_ identifier: String) -> (any ReportFormat.Type)? {
        all.first { $0.identifier == identifier }
    }
}

/// `json`: the whole report, pretty-printed with sorted keys.
public struct JSONReport: ReportFormat {
    public static let identifier = "json"
    public static let summary = "The whole report as one JSON object."
    let output: ReportOutput

    public init(output: ReportOutput) { self.output = output }

    public mutating func found(_ finding: Finding) throws(ReportOutput.WriteFailure) {}

    public mutating func finish(_ report: RunReport) throws(ReportOutput.WriteFailure) {
        var json = report.json()
        json.append(UInt8(ascii: "\n"))
        try output.write(json)
    }
}

/// `ndjson`: one discrepancy per line as it is found, then the report without its discrepancies.
public struct NDJSONReport: ReportFormat {
    public static let identifier = "ndjson"
    public static let summary = "One JSON discrepancy per line as found, then a summary line."
    let output: ReportOutput

    public init(output: ReportOutput) { self.output = output }

    public mutating func found(_ finding: Finding) throws(ReportOutput.WriteFailure) {
        var line: [UInt8] = []
        FindingJSON.append(finding, pretty: false, indent: 0, to: &line)
        line.append(UInt8(ascii: "\n"))
        try output.write(Data(line))
    }

    public mutating func finish(_ report: RunReport) throws(ReportOutput.WriteFailure) {
        // Strings, numbers and booleans always encode.
        var line = (try? SummaryLine(report: report).encoded(pretty: false)) ?? Data()
        line.append(UInt8(ascii: "\n"))
        try output.write(line)
    }

    /// The report's keys except `discrepancies`: all of them, or those that sort before it or after it.
    struct SummaryLine: Encodable {
        enum Part { case all, beforeDiscrepancies, afterDiscrepancies }

        var report: RunReport
        var part = Part.all
        /// Writes `resolved` as an empty array, for `encoded` to fill in.
        var resolvedLeftEmpty = false

        enum Keys: String, CodingKey {
            case runId, status, dryRun, persisted, startedAt, finishedAt, rules, source, summary, error
            case previousRunId, resolved, expiredAcks, staleAcks, runKey, alert, mode, coverage, shard
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            if part != .afterDiscrepancies {
                try container.encode(report.alert, forKey: .alert)
            }
            guard part != .beforeDiscrepancies else { return }
            try container.encode(report.runId, forKey: .runId)
            try container.encode(report.status, forKey: .status)
            try container.encode(report.dryRun, forKey: .dryRun)
            try container.encode(report.persisted, forKey: .persisted)
            try container.encode(report.startedAt, forKey: .startedAt)
            try container.encode(report.finishedAt, forKey: .finishedAt)
            try container.encode(report.rules, forKey: .rules)
            try container.encode(report.source, forKey: .source)
            try container.encode(report.summary, forKey: .summary)
            try container.encodeIfPresent(report.error, forKey: .error)
            try container.encode(report.previousRunId, forKey: .previousRunId)
            try container.encode(resolvedLeftEmpty ? [] : report.resolved, forKey: .resolved)
            try container.encode(report.expiredAcks, forKey: .expiredAcks)
            try container.encode(report.staleAcks, forKey: .staleAcks)
            try container.encode(report.runKey, forKey: .runKey)
            try container.encodeIfPresent(report.shard.map(ShardPart.init), forKey: .shard)
            // Only for a run asked to be incremental: `mode` says whether it was one.
            try container.encodeIfPresent(report.coverage?.mode, forKey: .mode)
            try container.encodeIfPresent(report.coverage, forKey: .coverage)
        }
    }
}

import Foundation

extension NDJSONReport.SummaryLine {
    /// Encoded with sorted keys (`pretty`: as a member of the report, two spaces deep), its
    /// `resolved` entries written by `FindingJSON`: there can be as many as the previous run had
    /// discrepancies, and encoding them through `JSONEncoder` (once for the report, once for the
    /// run row's envelope) was most of the time the summary took, and a large share of its memory.
    func encoded(pretty: Bool) throws -> Data {
        let encoder = JSONEncoder.sorted
        if pretty { encoder.outputFormatting.insert(.prettyPrinted) }
        guard !report.resolved.isEmpty else { return try encoder.encode(self) }
        var line = self
        line.resolvedLeftEmpty = true
        let data = try encoder.encode(line)
        // An unescaped quote is never inside a string, and `resolved` is the first key named so.
        let empty = pretty ? "\"resolved\" : [\n\n  ]" : "\"resolved\":[]"
        guard let slot = data.range(of: Data(empty.utf8)) else { return try encoder.encode(self) }
        var entries: [UInt8] = Array((pretty ? "\"resolved\" : [\n" : "\"resolved\":[").utf8)
        entries.reserveCapacity(report.resolved.count * (pretty ? 400 : 300))
        for (index, entry) in report.resolved.enumerated() {
            if index > 0 { entries.append(contentsOf: (pretty ? ",\n" : ",").utf8) }
            if pretty { entries.append(contentsOf: "    ".utf8) }
            FindingJSON.append(entry, pretty: pretty, indent: 4, to: &entries)
        }
        entries.append(contentsOf: (pretty ? "\n  ]" : "]").utf8)
        var spliced = Data(data[..<slot.lowerBound])
        spliced.append(contentsOf: entries)
        spliced.append(data[slot.upperBound...])
        return spliced
    }
}

extension JSONEncoder {
    /// Compact, sorted keys: one line per value.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
