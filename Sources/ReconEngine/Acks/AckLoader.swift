import Foundation
import Yams

/// Reads and checks an acks file: a YAML list of acknowledgements, each
/// `{ stream, kind, field or rule, owner, reason, expires }`. Every problem is reported with
/// its line and column; an `expires` already past is a warning (the entry no longer applies).
public struct AckLoader: Sendable {
    /// Entries per file: an acks file is written by hand.
    public static let maxEntries = 10_000
    static let keys = ["stream", "kind", "field", "rule", "owner", "reason", "expires"]

    public init() {}

    public struct Result: Sendable {
        /// Nil when the file has errors.
        public var acks: [Acknowledgement]?
        public var diagnostics: [Diagnostic]
    }

    /// Loads `path`, checking fields and rules against `ruleSets` (all of them, for a lint of
    /// several rules files), and dates against `today` (`YYYY-MM-DD`).
    public func load(path: String, ruleSets: [CompiledRuleSet], today: String) -> Result {
        let sink = DiagnosticSink()
        guard let text = RulesDocument.read(path: path, sink: sink, what: "acks file"),
              let (root, _) = RulesDocument.parse(RulesDocument.normalized(text), file: path, sink: sink, what: "acks file",
                                                  needs: "a list of acknowledgements")
        else { return Result(acks: nil, diagnostics: sink.diagnostics) }
        guard case .sequence(let entries) = root else {
            sink.error(.wrongNodeKind, at: PluginParameter.location(of: root, in: path),
                       "an acks file is a list of acknowledgements such as '- { stream: s1, kind: mismatch, field: amount, owner: ops, reason: ..., expires: 2026-12-31 }', not \(root.kindName)")
            return Result(acks: nil, diagnostics: sink.diagnostics)
        }
        if entries.count > Self.maxEntries {
            sink.error(.invalidValue, at: PluginParameter.location(of: root, in: path),
                       "the acks file has \(entries.count) entries; at most \(Self.maxEntries): acknowledge a cause, not every stream it touches")
            return Result(acks: nil, diagnostics: sink.diagnostics)
        }
        let fields = ruleSets.flatMap { $0.fields.map(\.name) }
        let rules = ["key"] + fields + ruleSets.flatMap { $0.invariants.map(\.name) }
        var acks: [Acknowledgement] = []
        for (index, node) in entries.enumerated() {
            if let ack = entry(node, number: index + 1, fields: ruleSets.isEmpty ? nil : fields, rules: ruleSets.isEmpty ? nil : rules,
                               today: today, file: path, sink: sink) {
                acks.append(ack)
            }
        }
        let diagnostics = sink.diagnostics.sorted(by: Diagnostic.positionOrder)
        return Result(acks: sink.hasErrors ? nil : acks, diagnostics: diagnostics)
    }

    private func entry(_ node: Node, number: Int, fields: [String]?, rules: [String]?, today: String, file: String,
                       sink: DiagnosticSink) -> Acknowledgement? {
        let what = "acknowledgement \(number)"
        guard let reader = MappingReader(node, what: what, allowed: Self.keys, file: file, sink: sink) else { return nil }
        let stream = reader.requiredScalar("stream", hint: "name the stream id it covers, such as 'stream: stream_3'")
        let owner = reader.requiredScalar("owner", hint: "say who handles it, such as 'owner: payments-oncall'")
        let reason = reader.requiredScalar("reason", hint: "say why it is known, such as 'reason: refund in flight, PAY-123'")
        let expires = reader.requiredScalar("expires", hint: "give the last day it applies, such as 'expires: 2026-12-31'; every acknowledgement expires")
        var kind: FindingKind?
        if let text = reader.requiredScalar("kind", hint: "say which kind of discrepancy, such as 'kind: mismatch'") {
            kind = FindingKind(rawValue: text.value)
            if kind == nil {
                sink.error(.invalidValue, at: text.location, "unknown discrepancy kind '\(text.value)'"
                    + Suggestion.hintOrList(for: text.value, in: FindingKind.allCases.map(\.rawValue)))
            }
        }
        let field = reader.scalar("field")
        if let field, let fields, !fields.contains(field.value) {
            sink.error(.unknownField, at: field.location, "unknown field '\(field.value)'" + Suggestion.hintOrList(for: field.value, in: fields, listing: "fields are"))
        }
        let rule = reader.scalar("rule")
        if let rule, let rules, !rules.contains(rule.value) {
            sink.error(.unknownField, at: rule.location, "unknown rule '\(rule.value)'" + Suggestion.hintOrList(for: rule.value, in: rules, listing: "rules are"))
        }
        if let expires {
            if !Self.isDate(expires.value) {
                sink.error(.invalidValue, at: expires.location, "'expires' must be a date such as 2026-12-31, not '\(expires.value)'")
            } else if expires.value < today {
                sink.warning(.expiredAck, at: expires.location, "\(what) expired on \(expires.value); it no longer applies: renew it or remove it")
            }
        }
        guard let stream, let owner, let reason, let expires, let kind, Self.isDate(expires.value) else { return nil }
        return Acknowledgement(stream: stream.value, kind: kind, field: field?.value, rule: rule?.value, owner: owner.value,
                               reason: reason.value, expires: expires.value, location: reader.location)
    }

    /// `YYYY-MM-DD`, a real day of the calendar.
    static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              parts.allSatisfy({ $0.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }),
              (1...12).contains(month), day >= 1
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }

    /// Today in UTC, `YYYY-MM-DD`.
    public static func today(_ now: Date = Date()) -> String {
        String(now.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!)).prefix(10))
    }
}
