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
    /// What the run's memory says of it (fingerprint, new or persisting, acknowledged); set by a
    /// recorded or dry run, nil in rule tests and diffs, which have no history.
    public var tracking: Tracking?

    public init(
        streamId: String, kind: FindingKind, field: String? = nil, side: Side? = nil, dbValue: String? = nil,
        onChainValue: String? = nil, values: [String: String]? = nil, rule: String, severity: Severity, message: String,
        tracking: Tracking? = nil
    ) {
        self.tracking = tracking
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
        case fingerprint, status, firstSeenAt, firstSeenRunId, acknowledged
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        streamId = try container.decode(String.self, forKey: .streamId)
        kind = try container.decode(FindingKind.self, forKey: .kind)
        field = try container.decodeIfPresent(String.self, forKey: .field)
        side = try container.decodeIfPresent(Side.self, forKey: .side)
        dbValue = try container.decodeIfPresent(String.self, forKey: .dbValue)
        onChainValue = try container.decodeIfPresent(String.self, forKey: .onChainValue)
        values = try container.decodeIfPresent([String: String].self, forKey: .values)
        rule = try container.decode(String.self, forKey: .rule)
        severity = try container.decode(Severity.self, forKey: .severity)
        message = try container.decode(String.self, forKey: .message)
        if let fingerprint = try container.decodeIfPresent(String.self, forKey: .fingerprint) {
            tracking = Tracking(fingerprint: fingerprint, status: try container.decode(Tracking.Status.self, forKey: .status),
                                firstSeenAt: try container.decode(String.self, forKey: .firstSeenAt),
                                firstSeenRunId: try container.decode(String.self, forKey: .firstSeenRunId),
                                acknowledged: try container.decodeIfPresent(Acknowledgement.Note.self, forKey: .acknowledged))
        }
    }

    /// Every key is written, absent values as null, so each discrepancy has one shape (a tracked
    /// one adds the five tracking keys).
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
        if let tracking {
            try container.encode(tracking.fingerprint, forKey: .fingerprint)
            try container.encode(tracking.status, forKey: .status)
            try container.encode(tracking.firstSeenAt, forKey: .firstSeenAt)
            try container.encode(tracking.firstSeenRunId, forKey: .firstSeenRunId)
            try container.encode(tracking.acknowledged, forKey: .acknowledged)
        }
    }

    /// The field or rule a fingerprint and an acknowledgement name: the field for a mismatch or
    /// an invalid value, else the rule (an invariant's name, `key` for a missing record).
    public var subject: String { field ?? rule }

    /// What a run's memory says of a finding (docs/operations.md, "Tonight's drift and yesterday's").
    public struct Tracking: Sendable, Hashable {
        public enum Status: String, Sendable, Codable, CaseIterable {
            /// Not found by the previous completed run of the same rules.
            case new
            /// Found by the previous completed run too.
            case persisting
        }

        /// A stable hash of the rules name, stream id, kind, field or rule, and side: never the values.
        public var fingerprint: String
        public var status: Status
        /// When and in which run it was first found (this run, for a new one).
        public var firstSeenAt: String
        public var firstSeenRunId: String
        /// The acknowledgement that covers it, if one does.
        public var acknowledged: Acknowledgement.Note?

        public init(fingerprint: String, status: Status, firstSeenAt: String, firstSeenRunId: String, acknowledged: Acknowledgement.Note? = nil) {
            self.fingerprint = fingerprint
            self.status = status
            self.firstSeenAt = firstSeenAt
            self.firstSeenRunId = firstSeenRunId
            self.acknowledged = acknowledged
        }
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
