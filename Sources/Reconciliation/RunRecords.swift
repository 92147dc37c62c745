import Foundation
import ReconEngine
import ReconSources

/// A row of `reconciliation_runs` (docs/operations.md, "Reading the run tables").
public struct RunRecord: Sendable, Codable, Equatable {
    public var id: String
    public var startedAt: String
    public var finishedAt: String?
    public var status: RunStatus
    public var dryRun: Bool
    public var rulesName: String
    public var rulesSha256: String
    public var chainBlock: Int64?
    public var streamsChecked: Int?
    public var discrepancyCount: Int?
    public var error: String?
    /// `host:pid` of the process running it.
    public var owner: String?
    /// Until when a `running` row is claimed; the run renews it while it runs (see `RunStore.lease`).
    public var leaseExpiresAt: String?
    /// The run key it was started with (`--run-key`, `Idempotency-Key`): unique in the store.
    public var runKey: String?
    /// How its alert was delivered (`delivered (HTTP 204, 1 try)`); nil when none was due.
    public var alertStatus: String?
    /// The part of the keys it checked (`--shard I/N`, stored as `I/N`); nil: every key.
    public var shard: Shard?

    public init(
        id: String, startedAt: String, finishedAt: String? = nil, status: RunStatus, dryRun: Bool, rulesName: String, rulesSha256: String,
        chainBlock: Int64? = nil, streamsChecked: Int? = nil, discrepancyCount: Int? = nil, error: String? = nil, owner: String? = nil,
        leaseExpiresAt: String? = nil, runKey: String? = nil, alertStatus: String? = nil, shard: Shard? = nil
    ) {
        self.shard = shard
        self.runKey = runKey
        self.alertStatus = alertStatus
        self.owner = owner
        self.leaseExpiresAt = leaseExpiresAt
        self.id = id
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.status = status
        self.dryRun = dryRun
        self.rulesName = rulesName
        self.rulesSha256 = rulesSha256
        self.chainBlock = chainBlock
        self.streamsChecked = streamsChecked
        self.discrepancyCount = discrepancyCount
        self.error = error
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case id, status, error, owner, shard
        case startedAt = "started_at", finishedAt = "finished_at", dryRun = "dry_run", rulesName = "rules_name"
        case rulesSha256 = "rules_sha256", chainBlock = "chain_block", streamsChecked = "streams_checked"
        case discrepancyCount = "discrepancy_count", leaseExpiresAt = "lease_expires_at", runKey = "run_key", alertStatus = "alert_status"
    }
}

/// A row of `reconciliation_discrepancies`: one finding of one run.
public struct DiscrepancyRecord: Sendable, Codable, Equatable {
    public var runId: String
    public var streamId: String
    public var kind: String
    public var field: String?
    public var side: String?
    public var dbValue: String?
    public var onChainValue: String?
    /// For invariant violations: the named fields' values, as a JSON object.
    public var fieldValues: String?
    public var rule: String
    public var severity: String
    public var message: String
    /// Its fingerprint and status against the previous run (`new`, `persisting`), and since when
    /// it has been found; nil on rows recorded before these were kept.
    public var fingerprint: String?
    public var status: String?
    public var firstSeenAt: String?
    public var firstSeenRunId: String?
    /// The acknowledgement that covered it, as a JSON object `{expires, owner, reason}`.
    public var acknowledged: String?

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, field, side, rule, severity, message, fingerprint, status, acknowledged
        case runId = "run_id", streamId = "stream_id", dbValue = "db_value", onChainValue = "on_chain_value", fieldValues = "field_values"
        case firstSeenAt = "first_seen_at", firstSeenRunId = "first_seen_run_id"
    }

    /// The columns of `reconciliation_discrepancies` a run writes, in `texts` order.
    public static let columns = ["run_id", "stream_id", "kind", "field", "side", "db_value", "on_chain_value", "field_values", "rule",
                                 "severity", "message", "fingerprint", "status", "first_seen_at", "first_seen_run_id", "acknowledged"]

    /// Its values in `columns` order.
    public var texts: [String?] {
        [runId, streamId, kind, field, side, dbValue, onChainValue, fieldValues, rule, severity, message, fingerprint, status, firstSeenAt,
         firstSeenRunId, acknowledged]
    }

    public init(runId: String, streamId: String, kind: String, field: String?, side: String?, dbValue: String?, onChainValue: String?,
                fieldValues: String?, rule: String, severity: String, message: String, fingerprint: String? = nil, status: String? = nil,
                firstSeenAt: String? = nil, firstSeenRunId: String? = nil, acknowledged: String? = nil) {
        self.fingerprint = fingerprint
        self.status = status
        self.firstSeenAt = firstSeenAt
        self.firstSeenRunId = firstSeenRunId
        self.acknowledged = acknowledged
        self.runId = runId
        self.streamId = streamId
        self.kind = kind
        self.field = field
        self.side = side
        self.dbValue = dbValue
        self.onChainValue = onChainValue
        self.fieldValues = fieldValues
        self.rule = rule
        self.severity = severity
        self.message = message
    }

    public init(runId: String, finding: Finding) {
        self.runId = runId
        streamId = finding.streamId
        kind = finding.kind.rawValue
        field = finding.field
        side = finding.side?.rawValue
        dbValue = finding.dbValue
        onChainValue = finding.onChainValue
        fieldValues = finding.values.map(Self.jsonObject)
        rule = finding.rule
        severity = finding.severity.rawValue
        message = finding.message
        fingerprint = finding.tracking?.fingerprint
        status = finding.tracking?.status.rawValue
        firstSeenAt = finding.tracking?.firstSeenAt
        firstSeenRunId = finding.tracking?.firstSeenRunId
        acknowledged = finding.tracking?.acknowledged.map { Self.jsonObject(["owner": $0.owner, "reason": $0.reason, "expires": $0.expires]) }
    }

    /// A compact JSON object of strings, keys sorted.
    static func jsonObject(_ values: [String: String]) -> String {
        var json: [UInt8] = [UInt8(ascii: "{")]
        for (index, (key, value)) in values.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            FindingJSON.appendString(key, to: &json)
            json.append(UInt8(ascii: ":"))
            FindingJSON.appendString(value, to: &json)
        }
        json.append(UInt8(ascii: "}"))
        return String(decoding: json, as: UTF8.self)
    }

    /// The finding a row records, as the report had it.
    public var finding: Finding {
        func object(_ text: String?) -> [String: String]? {
            text.flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) }
        }
        let tracking = fingerprint.map { fingerprint in
            Finding.Tracking(fingerprint: fingerprint, status: status.flatMap(Finding.Tracking.Status.init) ?? .new,
                             firstSeenAt: firstSeenAt ?? "", firstSeenRunId: firstSeenRunId ?? runId,
                             acknowledged: object(acknowledged).flatMap { note in
                                 note["owner"].map { Acknowledgement.Note(owner: $0, reason: note["reason"] ?? "", expires: note["expires"] ?? "") }
                             })
        }
        return Finding(streamId: streamId, kind: FindingKind(rawValue: kind) ?? .sourceError, field: field, side: side.flatMap(Side.init),
                       dbValue: dbValue, onChainValue: onChainValue, values: object(fieldValues), rule: rule,
                       severity: Severity(rawValue: severity) ?? .critical, message: message, tracking: tracking)
    }
}
