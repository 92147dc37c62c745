import Foundation
import ReconEngine

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

    public init(
        id: String, startedAt: String, finishedAt: String? = nil, status: RunStatus, dryRun: Bool, rulesName: String, rulesSha256: String,
        chainBlock: Int64? = nil, streamsChecked: Int? = nil, discrepancyCount: Int? = nil, error: String? = nil, owner: String? = nil,
        leaseExpiresAt: String? = nil
    ) {
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
        case id, status, error, owner
        case startedAt = "started_at", finishedAt = "finished_at", dryRun = "dry_run", rulesName = "rules_name"
        case rulesSha256 = "rules_sha256", chainBlock = "chain_block", streamsChecked = "streams_checked"
        case discrepancyCount = "discrepancy_count", leaseExpiresAt = "lease_expires_at"
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

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, field, side, rule, severity, message
        case runId = "run_id", streamId = "stream_id", dbValue = "db_value", onChainValue = "on_chain_value", fieldValues = "field_values"
    }

    public init(runId: String, streamId: String, kind: String, field: String?, side: String?, dbValue: String?, onChainValue: String?,
                fieldValues: String?, rule: String, severity: String, message: String) {
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
        fieldValues = finding.values.map { values in
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
        rule = finding.rule
        severity = finding.severity.rawValue
        message = finding.message
    }
}
