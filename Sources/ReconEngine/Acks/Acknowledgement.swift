/// One entry of an acks file (`--acks`): a known discrepancy someone is handling, until a date.
/// A discrepancy it matches stays in the report, marked `acknowledged`, and does not count for
/// `--fail-on`, the exit status or alerts, until the day after `expires`.
public struct Acknowledgement: Sendable, Hashable, Codable {
    public var stream: String
    public var kind: FindingKind
    /// The field it covers (a mismatch or an invalid value); nil for any.
    public var field: String?
    /// The rule it covers (an invariant, or `key` for a missing record); nil for any.
    public var rule: String?
    public var owner: String
    public var reason: String
    /// The last day it applies, `YYYY-MM-DD` (UTC).
    public var expires: String
    /// Where the entry is in the acks file; not part of the report.
    public var location: TextLocation?

    public init(stream: String, kind: FindingKind, field: String? = nil, rule: String? = nil, owner: String, reason: String, expires: String,
                location: TextLocation? = nil) {
        self.stream = stream
        self.kind = kind
        self.field = field
        self.rule = rule
        self.owner = owner
        self.reason = reason
        self.expires = expires
        self.location = location
    }

    /// What a report shows on the discrepancy an acknowledgement covers.
    public struct Note: Sendable, Hashable, Codable {
        public var owner: String
        public var reason: String
        public var expires: String

        public init(owner: String, reason: String, expires: String) {
            self.owner = owner
            self.reason = reason
            self.expires = expires
        }
    }

    public var note: Note { Note(owner: owner, reason: reason, expires: expires) }

    /// Whether it covers `finding`: the same stream and kind, and the field and rule it names, if any.
    public func matches(_ finding: Finding) -> Bool {
        finding.streamId == stream && finding.kind == kind && (field == nil || finding.field == field) && (rule == nil || finding.rule == rule)
    }

    /// Whether it has expired on `today` (`YYYY-MM-DD`): it applies through the day it names.
    public func hasExpired(today: String) -> Bool { expires < today }

    private enum CodingKeys: String, CodingKey {
        case stream, kind, field, rule, owner, reason, expires
    }

    /// Every key is written, absent ones as null, so each entry has one shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(stream, forKey: .stream)
        try container.encode(kind, forKey: .kind)
        try container.encode(field, forKey: .field)
        try container.encode(rule, forKey: .rule)
        try container.encode(owner, forKey: .owner)
        try container.encode(reason, forKey: .reason)
        try container.encode(expires, forKey: .expires)
    }
}
