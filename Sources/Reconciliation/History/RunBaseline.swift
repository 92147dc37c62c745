import ReconEngine

/// What tonight's run is compared with: the previous completed (`clean` or `drift`), non-dry
/// run of the same rules name in the store, and its discrepancies by fingerprint. Its size is
/// the number of those discrepancies, never the number of streams.
public struct RunBaseline: Sendable {
    /// One discrepancy of the previous run, as far as a later run needs it.
    public struct Entry: Sendable, Codable, Equatable {
        public var fingerprint: String
        public var streamId: String
        public var kind: String
        public var field: String?
        public var rule: String
        public var side: String?
        public var severity: String
        public var firstSeenAt: String
        public var firstSeenRunId: String

        public init(fingerprint: String, streamId: String, kind: String, field: String?, rule: String, side: String?, severity: String,
                    firstSeenAt: String, firstSeenRunId: String) {
            self.fingerprint = fingerprint
            self.streamId = streamId
            self.kind = kind
            self.field = field
            self.rule = rule
            self.side = side
            self.severity = severity
            self.firstSeenAt = firstSeenAt
            self.firstSeenRunId = firstSeenRunId
        }

        /// The report order: by stream id, kind, field, side, then rule; each compared only when
        /// the ones before it are equal.
        public static func reportOrder(_ a: Entry, _ b: Entry) -> Bool {
            if a.streamId != b.streamId { return a.streamId < b.streamId }
            if a.kind != b.kind { return a.kind < b.kind }
            // An absent field or side sorts as an empty one.
            let (aField, bField) = (a.field ?? "", b.field ?? "")
            if aField != bField { return aField < bField }
            let (aSide, bSide) = (a.side ?? "", b.side ?? "")
            if aSide != bSide { return aSide < bSide }
            return a.rule < b.rule
        }

        private enum CodingKeys: String, CodingKey {
            case fingerprint, streamId, kind, field, rule, side, severity, firstSeenAt, firstSeenRunId
        }

        /// Every key is written, absent ones as null, so each entry has one shape.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(fingerprint, forKey: .fingerprint)
            try container.encode(streamId, forKey: .streamId)
            try container.encode(kind, forKey: .kind)
            try container.encode(field, forKey: .field)
            try container.encode(rule, forKey: .rule)
            try container.encode(side, forKey: .side)
            try container.encode(severity, forKey: .severity)
            try container.encode(firstSeenAt, forKey: .firstSeenAt)
            try container.encode(firstSeenRunId, forKey: .firstSeenRunId)
        }

        /// From a stored row. Rows recorded before fingerprints were stored get theirs computed,
        /// and count as first seen in that run.
        public init(_ row: DiscrepancyRecord, rulesName: String, runStartedAt: String) {
            self.init(stored: row.fingerprint, streamId: row.streamId, kind: row.kind, field: row.field, rule: row.rule, side: row.side,
                      severity: row.severity, firstSeenAt: row.firstSeenAt, firstSeenRunId: row.firstSeenRunId, runId: row.runId,
                      rulesName: rulesName, runStartedAt: runStartedAt)
        }

        /// From the columns of a stored row of run `runId` a baseline needs (a store reads only
        /// those), as `init(_:rulesName:runStartedAt:)` does from a whole row.
        public init(stored fingerprint: String?, streamId: String, kind: String, field: String?, rule: String, side: String?, severity: String,
                    firstSeenAt: String?, firstSeenRunId: String?, runId: String, rulesName: String, runStartedAt: String) {
            self.init(fingerprint: fingerprint ?? Fingerprint.of(rulesName: rulesName, streamId: streamId, kind: kind, subject: field ?? rule, side: side),
                      streamId: streamId, kind: kind, field: field, rule: rule, side: side, severity: severity,
                      firstSeenAt: firstSeenAt ?? runStartedAt, firstSeenRunId: firstSeenRunId ?? runId)
        }
    }

    /// One copy of each text seen: a store's rows that repeat a kind, a rule or a run id then
    /// share its storage.
    public struct SharedTexts {
        private var seen: Set<String> = []

        public init() {}

        private mutating func callAsFunction(_ text: String) -> String { seen.insert(text).memberAfterInsert }
        private mutating func callAsFunction(_ text: String?) -> String? { text.map { self($0) } }

        /// `Entry(stored:…)` from a store's row, its repeated texts (all but the stream id and the
        /// fingerprint) shared.
        public mutating func entry(stored fingerprint: String?, streamId: String, kind: String, field: String?, rule: String, side: String?,
                                   severity: String, firstSeenAt: String?, firstSeenRunId: String?, runId: String, rulesName: String,
                                   runStartedAt: String) -> Entry {
            Entry(stored: fingerprint, streamId: streamId, kind: self(kind), field: self(field), rule: self(rule), side: self(side),
                  severity: self(severity), firstSeenAt: self(firstSeenAt), firstSeenRunId: self(firstSeenRunId), runId: runId,
                  rulesName: rulesName, runStartedAt: runStartedAt)
        }
    }

    public var runId: String
    public var startedAt: String
    public var entries: [String: Entry]
    /// The previous run's rules text hash, pinned block and that block's hash, as recorded
    /// (nil when the store did not keep one): where an incremental run starts from.
    public var rulesSha256: String?
    public var chainBlock: UInt64?
    public var chainBlockHash: String?

    public init(runId: String, startedAt: String, entries: [Entry]) {
        self.runId = runId
        self.startedAt = startedAt
        // One entry per fingerprint: a duplicate (two rows of one discrepancy) keeps the earliest.
        var byFingerprint = [String: Entry](minimumCapacity: entries.count)
        for entry in entries {
            if let kept = byFingerprint[entry.fingerprint], kept.firstSeenAt <= entry.firstSeenAt { continue }
            byFingerprint[entry.fingerprint] = entry
        }
        self.entries = byFingerprint
    }
}
