/// What kind of discrepancy a finding is (docs/rules.md, "Findings").
public enum FindingKind: String, Sendable, Codable, CaseIterable, Comparable {
    case mismatch
    case missingOnChain = "missing_on_chain"
    case missingInDB = "missing_in_db"
    case invariantViolation = "invariant_violation"
    case invalidValue = "invalid_value"
    case sourceError = "source_error"

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One discrepancy for one stream, in the shape of the report's `discrepancies[]`.
public struct Finding: Sendable, Hashable, Codable {
    public var streamId: String
    public var kind: FindingKind
    /// The field concerned; nil for missing records and invariant violations.
    public var field: String?
    /// The side an invariant or invalid value is on.
    public var side: Side?
    public var dbValue: String?
    public var onChainValue: String?
    /// For invariant violations: the values of the fields the invariant names.
    public var values: [String: String]?
    /// The field, invariant or `key` that produced the finding.
    public var rule: String
    public var severity: Severity
    public var message: String

    public init(
        streamId: String, kind: FindingKind, field: String? = nil, side: Side? = nil, dbValue: String? = nil,
        onChainValue: String? = nil, values: [String: String]? = nil, rule: String, severity: Severity, message: String
    ) {
        self.streamId = streamId
        self.kind = kind
        self.field = field
        self.side = side
        self.dbValue = dbValue
        self.onChainValue = onChainValue
        self.values = values
        self.rule = rule
        self.severity = severity
        self.message = message
    }

    private enum CodingKeys: String, CodingKey {
        case streamId, kind, field, side, dbValue, onChainValue, values, rule, severity, message
    }

    /// Every key is written, absent values as null, so each discrepancy has one shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(streamId, forKey: .streamId)
        try container.encode(kind, forKey: .kind)
        try container.encode(field, forKey: .field)
        try container.encode(side, forKey: .side)
        try container.encode(dbValue, forKey: .dbValue)
        try container.encode(onChainValue, forKey: .onChainValue)
        try container.encode(values, forKey: .values)
        try container.encode(rule, forKey: .rule)
        try container.encode(severity, forKey: .severity)
        try container.encode(message, forKey: .message)
    }

    /// The report order: by stream id, then kind, then field (then side and rule, for a total order).
    public static func reportOrder(_ a: Finding, _ b: Finding) -> Bool {
        if a.streamId != b.streamId { return a.streamId < b.streamId }
        if a.kind != b.kind { return a.kind < b.kind }
        if a.field != b.field { return (a.field ?? "") < (b.field ?? "") }
        if a.side != b.side { return (a.side?.rawValue ?? "") < (b.side?.rawValue ?? "") }
        return a.rule < b.rule
    }
}
