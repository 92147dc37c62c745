import Foundation
import GRDB
import ReconEngine
import ReconSources
import ReconSQLite
import Reconciliation
import Testing

struct RunBaselineTests {
    let scratch: Scratch

    init() throws {
        scratch = try Scratch()
    }

    /// Known answers from Python: `hashlib.sha256(("v1" + "".join("\x1f" + p for p in parts)).encode()).hexdigest()[:32]`.
    @Test func fingerprintsAreTheFirst128BitsOfASHA256OfTheParts() {
        #expect(Fingerprint.of(rulesName: "payment-streams", streamId: "stream_2", kind: "mismatch", subject: "released_amount", side: nil)
            == "74c7d507f4531990f1c94ab63aebe494")
        #expect(Fingerprint.of(rulesName: "payment-streams", streamId: "strëam-7", kind: "invariant_violation", subject: "released_le_total",
                               side: "db") == "90beebca1cd551ca850a899f6030e0e2")
        // An absent side is an empty one.
        #expect(Fingerprint.of(rulesName: "r", streamId: "s", kind: "k", subject: "f", side: nil)
            == Fingerprint.of(rulesName: "r", streamId: "s", kind: "k", subject: "f", side: ""))
    }

    @Test func theReportOrderIsThatOfTheFiveKeysAsOneTuple() {
        func entry(_ stream: String, _ kind: String, _ field: String?, _ side: String?, _ rule: String) -> RunBaseline.Entry {
            RunBaseline.Entry(fingerprint: "\(stream)/\(kind)/\(field ?? "-")/\(side ?? "-")/\(rule)", streamId: stream, kind: kind, field: field,
                              rule: rule, side: side, severity: "critical", firstSeenAt: "t", firstSeenRunId: "r")
        }
        var entries: [RunBaseline.Entry] = []
        for stream in ["s1", "s2"] {
            for kind in ["mismatch", "missing_in_db"] {
                for field in [nil, "", "a"] as [String?] {
                    for side in [nil, "", "db"] as [String?] {
                        for rule in ["key", "a"] { entries.append(entry(stream, kind, field, side, rule)) }
                    }
                }
            }
        }
        let tuple = { (a: RunBaseline.Entry, b: RunBaseline.Entry) in
            (a.streamId, a.kind, a.field ?? "", a.side ?? "", a.rule) < (b.streamId, b.kind, b.field ?? "", b.side ?? "", b.rule)
        }
        for shuffled in [entries.reversed(), entries.shuffled(), entries.shuffled()] {
            #expect(shuffled.sorted(by: RunBaseline.Entry.reportOrder).map(\.fingerprint) == shuffled.sorted(by: tuple).map(\.fingerprint))
        }
    }

    @Test func resolvedEntriesAreThoseNotFoundAgainInTheReportOrder() {
        let baseline = RunBaseline(runId: "run-0", startedAt: "2026-11-24T00:00:00Z", entries: ["s3", "s1", "s2"].map { stream in
            RunBaseline.Entry(fingerprint: Fingerprint.of(rulesName: "r", streamId: stream, kind: "missing_in_db", subject: "key", side: nil),
                              streamId: stream, kind: "missing_in_db", field: nil, rule: "key", side: nil, severity: "critical",
                              firstSeenAt: "2026-11-24T00:00:00Z", firstSeenRunId: "run-0")
        })
        let tracker = DriftTracker(rulesName: "r", runId: "run-1", startedAt: "2026-11-25T00:00:00Z", baseline: baseline, acks: [], today: "2026-11-25")
        var findings = ["s2", "s4"].map { Finding(streamId: $0, kind: .missingInDB, field: nil, rule: "key", severity: .critical, message: "m") }
        for index in findings.indices { tracker.track(&findings[index]) }
        #expect(findings.map { $0.tracking?.status } == [.persisting, .new])
        var report = RunReport(runId: "run-1", status: .drift, dryRun: false, persisted: false, startedAt: "2026-11-25T00:00:00Z",
                               finishedAt: "2026-11-25T00:00:01Z", rules: .init(name: "r", sha256: "ab"), source: .init(chainBlock: nil),
                               summary: .init(streamsChecked: 4, discrepancies: 2, byKind: [:], streamsByStatus: [:]), discrepancies: findings)
        tracker.summarize(&report)
        #expect(report.resolved.map(\.streamId) == ["s1", "s3"])
        #expect(report.summary.byStatus == ["new": 1, "persisting": 1, "resolved": 2])
        #expect(report.previousRunId == "run-0" && report.staleAcks.isEmpty)
    }

    /// A store whose rows have no memory (a version from before it, or a store not migrated yet,
    /// read by a dry run): each entry's fingerprint is computed, first seen in that run.
    @Test(arguments: [false, true]) func aBaselineOfRowsWithoutMemoryColumns(migrated: Bool) async throws {
        let path = try scratch.database(sql: """
            CREATE TABLE reconciliation_runs (id TEXT PRIMARY KEY NOT NULL, started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL,
                dry_run INTEGER NOT NULL DEFAULT 0, rules_name TEXT NOT NULL, rules_sha256 TEXT NOT NULL, chain_block INTEGER,
                streams_checked INTEGER, discrepancy_count INTEGER, error TEXT);
            CREATE TABLE reconciliation_discrepancies (run_id TEXT NOT NULL, stream_id TEXT NOT NULL, kind TEXT NOT NULL, field TEXT,
                side TEXT, db_value TEXT, on_chain_value TEXT, field_values TEXT, rule TEXT NOT NULL, severity TEXT NOT NULL, message TEXT NOT NULL);
            INSERT INTO reconciliation_runs (id, started_at, status, rules_name, rules_sha256) VALUES
                ('run-0', '2026-11-24T00:00:00Z', 'drift', 'payment-streams', 'ab');
            INSERT INTO reconciliation_discrepancies (run_id, stream_id, kind, field, side, rule, severity, message) VALUES
                ('run-0', 'stream_2', 'mismatch', 'released_amount', NULL, 'released_amount', 'critical', 'm'),
                ('run-0', 'stream_9', 'invariant_violation', NULL, 'db', 'released_le_total', 'warning', 'm');
            """ + (migrated ? """
            ALTER TABLE reconciliation_discrepancies ADD COLUMN fingerprint TEXT;
            ALTER TABLE reconciliation_discrepancies ADD COLUMN first_seen_at TEXT;
            ALTER TABLE reconciliation_discrepancies ADD COLUMN first_seen_run_id TEXT;
            """ : ""))
        let baseline = try #require(try await SQLiteRunStore(path: path).baseline(rulesName: "payment-streams"))
        #expect(baseline.runId == "run-0")
        let expected = [
            RunBaseline.Entry(fingerprint: "74c7d507f4531990f1c94ab63aebe494", streamId: "stream_2", kind: "mismatch", field: "released_amount",
                              rule: "released_amount", side: nil, severity: "critical", firstSeenAt: "2026-11-24T00:00:00Z", firstSeenRunId: "run-0"),
            RunBaseline.Entry(fingerprint: Fingerprint.of(rulesName: "payment-streams", streamId: "stream_9", kind: "invariant_violation",
                                                          subject: "released_le_total", side: "db"),
                              streamId: "stream_9", kind: "invariant_violation", field: nil, rule: "released_le_total", side: "db", severity: "warning",
                              firstSeenAt: "2026-11-24T00:00:00Z", firstSeenRunId: "run-0"),
        ]
        #expect(baseline.entries.values.sorted(by: RunBaseline.Entry.reportOrder) == expected)
    }

    @Test func aBaselineReadsWhatARecordedRunStored() async throws {
        let path = try scratch.database(sql: try demoSQL())
        let request = RunService.Request(rulesPath: repositoryRoot.appendingPathComponent("Rules/streams.yaml").path, db: SQLiteAppDatabase(path: path),
                                         chain: ChainSnapshotFile(path: demoChainPath), store: SQLiteRunStore(path: path))
        let first = try await RunService().run(request)
        let baseline = try #require(try await SQLiteRunStore(path: path).baseline(rulesName: "payment-streams"))
        #expect(baseline.runId == first.runId && baseline.startedAt == first.startedAt)
        let stored = first.discrepancies.compactMap { finding in
            finding.tracking.map {
                RunBaseline.Entry(fingerprint: $0.fingerprint, streamId: finding.streamId, kind: finding.kind.rawValue, field: finding.field,
                                  rule: finding.rule, side: finding.side?.rawValue, severity: finding.severity.rawValue, firstSeenAt: $0.firstSeenAt,
                                  firstSeenRunId: $0.firstSeenRunId)
            }
        }
        #expect(stored.count == first.discrepancies.count)
        #expect(baseline.entries.values.sorted(by: RunBaseline.Entry.reportOrder) == stored.sorted(by: RunBaseline.Entry.reportOrder))
    }
}
