import Foundation
import GRDB
import Testing

/// Memory between runs, through the real binary: statuses against the previous run, resolved
/// drift, acknowledgements and run keys.
struct NightOverNightTests: DemoAppRuns {
    let scratch: RunCommandTests
    let app: String

    init() throws {
        (scratch, app) = try RunCommandTests.demoApp()
    }

    func change(_ sql: String) throws {
        let queue = try DatabaseQueue(path: app)
        try queue.write { try $0.execute(sql: sql) }
        try queue.close()
    }

    static func discrepancies(_ report: [String: Any]) -> [[String: Any]] {
        report["discrepancies"] as? [[String: Any]] ?? []
    }

    static func find(_ report: [String: Any], _ stream: String, _ kind: String) -> [String: Any]? {
        discrepancies(report).first { $0["streamId"] as? String == stream && $0["kind"] as? String == kind }
    }

    static func byStatus(_ report: [String: Any]) -> [String: Int] {
        (report["summary"] as? [String: Any])?["byStatus"] as? [String: Int] ?? [:]
    }

    func runCount() throws -> Int {
        try DatabaseQueue(path: app).read { db in
            try db.tableExists("reconciliation_runs") ? try Int.fetchOne(db, sql: "SELECT count(*) FROM reconciliation_runs") ?? 0 : 0
        }
    }

    @Test func threeRunsOverAChangingDatabaseAreNewThenPersistingThenResolved() throws {
        let first = try run([])
        #expect(first.status == 1)
        let firstId = try #require(first.report["runId"] as? String)
        #expect(Self.byStatus(first.report) == ["new": 8, "persisting": 0, "resolved": 0])
        #expect(first.report["previousRunId"] is NSNull)
        let released = try #require(Self.find(first.report, "stream_2", "mismatch"))
        #expect(released["status"] as? String == "new" && released["firstSeenRunId"] as? String == firstId)
        #expect((released["fingerprint"] as? String)?.count == 32)

        // The released amount changes but stays wrong; stream_4 is gone; stream_1 drifts.
        try change("""
            UPDATE streams SET released_amount = '480' WHERE id = 'stream_2';
            DELETE FROM streams WHERE id = 'stream_4';
            UPDATE streams SET released_amount = '250001' WHERE id = 'stream_1';
            """)
        // A dry run computes the same statuses and records nothing.
        let dry = try run(["--dry-run"])
        #expect(Self.byStatus(dry.report) == ["new": 1, "persisting": 7, "resolved": 1])
        #expect(try runCount() == 1)

        let second = try run([])
        let secondId = try #require(second.report["runId"] as? String)
        #expect(second.report["previousRunId"] as? String == firstId)
        #expect(Self.byStatus(second.report) == ["new": 1, "persisting": 7, "resolved": 1])
        let survived = try #require(Self.find(second.report, "stream_2", "mismatch"))
        #expect(survived["dbValue"] as? String == "480")
        #expect(survived["fingerprint"] as? String == released["fingerprint"] as? String, "a fingerprint survives a value change")
        #expect(survived["status"] as? String == "persisting")
        #expect(survived["firstSeenRunId"] as? String == firstId && survived["firstSeenAt"] as? String == first.report["startedAt"] as? String)
        #expect(Self.find(second.report, "stream_1", "mismatch")?["status"] as? String == "new")
        let resolved = try #require(second.report["resolved"] as? [[String: Any]])
        #expect(resolved.count == 1 && resolved[0]["streamId"] as? String == "stream_4" && resolved[0]["kind"] as? String == "missing_on_chain")
        #expect(resolved[0]["firstSeenRunId"] as? String == firstId)

        try change("UPDATE streams SET released_amount = '250000' WHERE id = 'stream_1'")
        let third = try run([])
        #expect(third.report["previousRunId"] as? String == secondId)
        #expect(Self.byStatus(third.report) == ["new": 0, "persisting": 7, "resolved": 1])
        let fixed = try #require((third.report["resolved"] as? [[String: Any]])?.first)
        #expect(fixed["streamId"] as? String == "stream_1" && fixed["firstSeenRunId"] as? String == secondId)
        #expect(Self.find(third.report, "stream_2", "mismatch")?["firstSeenRunId"] as? String == firstId)

        // The rows keep the statuses; runs show and the table report print them, new first.
        let stored = try DatabaseQueue(path: app).read { db in
            try Row.fetchAll(db, sql: "SELECT stream_id, status, first_seen_run_id FROM reconciliation_discrepancies WHERE run_id = ?", arguments: [secondId])
        }
        #expect(stored.count == 8 && stored.filter { $0["status"] == "new" }.map { $0["stream_id"] as String } == ["stream_1"])
        let shown = try scratch.run(["runs", "show", secondId, "--db", app])
        let lines = shown.stdout.split(separator: "\n")
        let header = try #require(lines.firstIndex { $0.hasPrefix("STREAM") })
        #expect(lines[header].contains("STATUS"))
        #expect(lines[header + 1].hasPrefix("stream_1") && lines[header + 1].contains(" new "), "new first: \(shown.stdout)")
        let table = try scratch.run(["run", "--db", app, "--dry-run", "--format", "table"])
        #expect(table.stdout.contains("since    run \(try #require(third.report["runId"] as? String)): 0 new, 7 persisting, 0 resolved"), "\(table.stdout)")
    }

    @Test func onlyACompletedRecordedRunOfTheSameRulesIsTheBaseline() throws {
        let first = try run([])
        // Other rules: the same table under another name has no previous run.
        let rules = try String(contentsOfFile: scratch.directory.appendingPathComponent("Rules/streams.yaml").path, encoding: .utf8)
        let renamed = try scratch.write("renamed.yaml", rules.replacingOccurrences(of: "name: payment-streams", with: "name: other-streams"))
        let other = try run(["--rules", renamed])
        #expect(Self.byStatus(other.report)["new"] == 8 && other.report["previousRunId"] is NSNull)
        // A failed run is not a baseline: the next run compares with the last completed one.
        try change("ALTER TABLE streams RENAME COLUMN released_amount TO released")
        let failed = try scratch.run(["run", "--db", app, "--format", "json"])
        #expect(failed.status == 3)
        try change("ALTER TABLE streams RENAME COLUMN released TO released_amount")
        let next = try run([])
        #expect(next.report["previousRunId"] as? String == first.report["runId"] as? String)
    }

    func acks(_ text: String) throws -> String {
        try scratch.write("acks.yaml", text)
    }

    @Test func acknowledgedDiscrepanciesStayButDoNotCountForTheExitStatus() throws {
        let file = try acks("""
            # Known drift, each with an owner and an expiry.
            - stream: stream_2
              kind: mismatch
              field: released_amount
              owner: payments-oncall
              reason: refund in flight, PAY-123
              expires: 2999-12-31
            - { stream: stream_4, kind: missing_on_chain, owner: ops, reason: not deployed yet, expires: 2999-12-31 }
            - { stream: stream_5, kind: missing_in_db, owner: ops, reason: imported tomorrow, expires: 2999-12-31 }
            - { stream: stream_6, kind: invariant_violation, owner: ops, reason: over-release PAY-7, expires: 2999-12-31 }
            - { stream: stream_7, kind: invalid_value, field: total_amount, owner: ops, reason: typo, expires: 2999-12-31 }
            - { stream: stream_9, kind: mismatch, field: cancelled_at, owner: ops, reason: backfill, expires: 2999-12-31 }
            - { stream: stream_3, kind: mismatch, owner: ops, reason: fixed last week, expires: 2999-12-31 }
            - { stream: stream_9, kind: invariant_violation, owner: ops, reason: backfill, expires: 2000-01-01 }
            """)
        let result = try run(["--acks", file, "--fail-on", "critical"])
        // Every critical one is acknowledged; the warning (stream_9's invariant, its ack expired) is below --fail-on.
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.discrepancies(result.report).count == 8)
        #expect((result.report["summary"] as? [String: Any])?["acknowledged"] as? Int == 7)
        let acked = try #require(Self.find(result.report, "stream_2", "mismatch")?["acknowledged"] as? [String: String])
        #expect(acked == ["owner": "payments-oncall", "reason": "refund in flight, PAY-123", "expires": "2999-12-31"])
        #expect(Self.find(result.report, "stream_9", "invariant_violation")?["acknowledged"] is NSNull)
        let expired = try #require(result.report["expiredAcks"] as? [[String: Any]])
        #expect(expired.count == 1 && expired[0]["stream"] as? String == "stream_9" && expired[0]["expires"] as? String == "2000-01-01")
        let stale = try #require(result.report["staleAcks"] as? [[String: Any]])
        #expect(stale.count == 1 && stale[0]["stream"] as? String == "stream_3")
        // Without the acks, the same data fails.
        #expect(try run(["--fail-on", "critical"]).status == 1)
        // Drift that acknowledgements cover entirely passes even the default --fail-on info.
        let all = try acks((Self.discrepancies(result.report).map { finding in
            "- { stream: \(finding["streamId"] as? String ?? ""), kind: \(finding["kind"] as? String ?? ""), owner: o, reason: r, expires: 2999-12-31 }"
        }).joined(separator: "\n") + "\n")
        let covered = try run(["--acks", all])
        #expect(covered.status == 0, "\(covered.stderr)")
        #expect((covered.report["summary"] as? [String: Any])?["acknowledged"] as? Int == 8 && covered.report["status"] as? String == "drift")
        // The rows keep the acknowledgement.
        let runId = try #require(result.report["runId"] as? String)
        let note = try DatabaseQueue(path: app).read { db in
            try String.fetchOne(db, sql: "SELECT acknowledged FROM reconciliation_discrepancies WHERE run_id = ? AND stream_id = 'stream_2'", arguments: [runId])
        }
        #expect(note == #"{"expires":"2999-12-31","owner":"payments-oncall","reason":"refund in flight, PAY-123"}"#)
    }

    @Test func malformedAcksAreRulesErrorsWithTheirPlace() throws {
        let cases: [(String, String)] = [
            ("- stream: [unclosed", "yaml-syntax"),
            ("stream: s1\n", "an acks file is a list of acknowledgements"),
            ("- { stream: stream_2, kind: mismatch, owner: a, reason: b }\n", "acks.yaml:1:3: error[missing-key]: acknowledgement 1 is missing 'expires'"),
            ("- { stream: stream_2, kind: mismatch, owner: a, reason: b, expires: tomorrow }\n", "acks.yaml:1:69: error[invalid-value]: 'expires' must be a date such as 2026-12-31, not 'tomorrow'"),
            ("- { stream: stream_2, kind: mismatch, owner: a, reason: b, expires: 2026-02-30 }\n", "'expires' must be a date"),
            ("- { stream: stream_2, kind: mismatch, owner: a, reason: b, expires: 2999-01-01, onwer: c }\n", "unknown key 'onwer' in acknowledgement 1"),
            ("- { stream: stream_2, kind: mismatchh, owner: a, reason: b, expires: 2999-01-01 }\n", "unknown discrepancy kind 'mismatchh'; did you mean 'mismatch'?"),
            ("- { stream: stream_2, kind: mismatch, field: released, owner: a, reason: b, expires: 2999-01-01 }\n", "unknown field 'released'"),
        ]
        for (text, expected) in cases {
            let file = try acks(text)
            let result = try scratch.run(["run", "--db", app, "--acks", file])
            #expect(result.status == 2, "\(text)")
            #expect(result.stderr.contains(expected), "\(text): \(result.stderr)")
            #expect(try runCount() == 0, "nothing ran")
            let lint = try scratch.run(["rules", "lint", "Rules/streams.yaml", "--acks", file])
            #expect(lint.status == 1 && lint.stdout.contains(expected), "\(text): \(lint.stdout)")
        }
        let missing = try scratch.run(["run", "--db", app, "--acks", "no-such-acks.yaml"])
        #expect(missing.status == 2 && missing.stderr.contains("no-such-acks.yaml"), "\(missing.stderr)")
    }

    @Test func lintWarnsOfAnAckPastItsDate() throws {
        let file = try acks("- { stream: stream_2, kind: mismatch, owner: a, reason: b, expires: 2001-02-03 }\n")
        let lint = try scratch.run(["rules", "lint", "Rules/streams.yaml", "--acks", file])
        #expect(lint.status == 0)
        #expect(lint.stdout.contains("acks.yaml:1:69: warning[expired-ack]: acknowledgement 1 expired on 2001-02-03"), "\(lint.stdout)")
    }

    @Test func aRunKeyNeverRunsTwice() throws {
        let first = try run(["--run-key", "nightly-2026-12-02"])
        #expect(first.status == 1)
        try change("DELETE FROM streams WHERE id = 'stream_4'")
        let again = try run(["--run-key", "nightly-2026-12-02"])
        #expect(again.status == 1, "the same exit status")
        #expect(again.report["runId"] as? String == first.report["runId"] as? String)
        #expect(Self.discrepancies(again.report).count == 8, "the stored report, not a new run over the changed data")
        #expect(again.report["runKey"] as? String == "nightly-2026-12-02")
        #expect(again.stderr.contains("note: run key 'nightly-2026-12-02' was used by run \(first.report["runId"] as? String ?? "")"))
        #expect(Self.byStatus(again.report) == Self.byStatus(first.report))
        #expect(try runCount() == 1)
        // The stored report is the report as printed, discrepancies and all.
        let keys = ["summary", "rules", "source", "startedAt", "finishedAt", "status", "resolved", "expiredAcks", "staleAcks"]
        for key in keys {
            #expect(NSDictionary(dictionary: [key: first.report[key] as Any]).isEqual(to: [key: again.report[key] as Any]), "\(key)")
        }
        #expect((Self.discrepancies(again.report) as NSArray).isEqual(to: Self.discrepancies(first.report)))
        #expect(again.report["persisted"] as? Bool == true && again.report["dryRun"] as? Bool == false)
        // As ndjson, the stored report's discrepancies are lines too.
        let lines = try scratch.run(["run", "--db", app, "--format", "ndjson", "--run-key", "nightly-2026-12-02"]).stdout.split(separator: "\n")
        #expect(lines.count == 9 && lines.first?.contains("\"fingerprint\"") == true)
        // A finished key answers even while another run holds the store.
        try change("""
            INSERT INTO reconciliation_runs (id, started_at, status, rules_name, rules_sha256, lease_expires_at)
            VALUES ('live', '2026-12-02T00:00:00Z', 'running', 'payment-streams', 'x', '2999-01-01T00:00:00Z')
            """)
        let whileBusy = try run(["--run-key", "nightly-2026-12-02"])
        #expect(whileBusy.status == 1 && whileBusy.report["runId"] as? String == first.report["runId"] as? String, "\(whileBusy.stderr)")
        #expect(try scratch.run(["run", "--db", app, "--run-key", "another"]).status == 3, "a new key waits for the store")
        try change("DELETE FROM reconciliation_runs WHERE id = 'live'")
        // Another key runs.
        let other = try run(["--run-key", "nightly-2026-12-03"])
        #expect(other.report["runId"] as? String != first.report["runId"] as? String)
        #expect(try runCount() == 2)
        // A keyed run that was interrupted did not finish: a retry with its key runs, and takes the key.
        try change("UPDATE reconciliation_runs SET status = 'aborted', error = 'killed' WHERE run_key = 'nightly-2026-12-03'")
        let retried = try run(["--run-key", "nightly-2026-12-03"])
        let retriedId = try #require(retried.report["runId"] as? String)
        #expect(retriedId != other.report["runId"] as? String && !retried.stderr.contains("note: run key"))
        #expect(try runCount() == 3)
        let rows = try DatabaseQueue(path: app).read { db in
            try Row.fetchAll(db, sql: "SELECT id, run_key, error FROM reconciliation_runs WHERE id IN (?, ?)", arguments: [retriedId, other.report["runId"] as? String])
        }
        let byId = Dictionary(uniqueKeysWithValues: rows.map { ($0["id"] as String, $0) })
        #expect(byId[retriedId]?["run_key"] == "nightly-2026-12-03")
        #expect(byId[other.report["runId"] as? String ?? ""]?["run_key"] == nil as String?)
        #expect(byId[other.report["runId"] as? String ?? ""]?["error"] == "killed; its run key 'nightly-2026-12-03' was taken by run \(retriedId)")
    }

    @Test func badRunKeysAreUsageErrors() throws {
        for (key, expected) in [
            (String(repeating: "k", count: 10 * 1024), "--run-key: a run key has at most 200 characters"),
            ("nightly\n2026", "may not hold control characters"),
            ("nightly\u{1B}[2J", "may not hold control characters"),
            ("", "a run key is empty"),
        ] {
            let result = try scratch.run(["run", "--db", app, "--run-key", key])
            #expect(result.status == 2 && result.stderr.contains(expected), "\(result.stderr.prefix(300))")
        }
        let dry = try scratch.run(["run", "--db", app, "--run-key", "k", "--dry-run"])
        #expect(dry.status == 2 && dry.stderr.contains("--run-key applies to recorded runs"))
        #expect(try runCount() == 0)
    }
}
