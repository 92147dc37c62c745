import Foundation
import GRDB
import LoopbackHTTP
import ReconAlerts
import ReconEngine
import Reconciliation
import Testing
import WebhookReceiver

/// The server's runs remember the previous one: statuses, acknowledgements, run keys, alerts and
/// their metrics.
@Suite("serve: night over night")
struct ServerMemoryTests {
    static func post(_ server: ServerHarness, key: String?, json: String = "") async throws -> LoopbackHTTP.Response {
        var headers = [("Authorization", "Bearer \(tokenA)")]
        if let key { headers.append(("Idempotency-Key", key)) }
        return try await LoopbackHTTP.send(port: server.port, method: "POST", path: "/api/internal/reconciliation", headers: headers,
                                           body: Data(json.utf8))
    }

    static func metric(_ server: ServerHarness, _ line: String) async throws -> Bool {
        // A gauge's value may be written as a decimal (0.0).
        try await server.get("/metrics", token: nil).text.split(separator: "\n").contains { $0 == line || $0 == line + ".0" }
    }

    @Test func anIdempotencyKeyAnswersWithTheRunItStarted() async throws {
        try await ServerHarness.with { server in
            let first = try await Self.post(server, key: "nightly-2026-12-02")
            #expect(first.status == 200)
            let runId = try #require(try first.json()["runId"] as? String)
            let again = try await Self.post(server, key: "nightly-2026-12-02")
            #expect(again.status == 200)
            #expect(try again.json()["runId"] as? String == runId)
            #expect(try again.json()["runKey"] as? String == "nightly-2026-12-02")
            #expect(try server.recordedRuns().count == 1)
            #expect(try await Self.metric(server, #"streamrecon_runs_not_started_total{reason="key_used"} 1"#))
            // Bad keys and a dry run with a key are refused; nothing runs.
            for (key, json, expected) in [(String(repeating: "k", count: 300), "", "at most 200 characters"),
                                          ("k", #"{"dryRun": true}"#, "a dry run records nothing")] {
                let refused = try await Self.post(server, key: key, json: json)
                #expect(refused.status == 400 && refused.text.contains(expected), "\(refused.text)")
            }
            #expect(try server.recordedRuns().count == 1)
        }
    }

    /// A retried request whose key belongs to a finished run gets that run's report, even while
    /// another run is in progress (a 409 would tell the caller to retry what is already done).
    @Test func aFinishedRunsKeyAnswersWhileAnotherRunIsInProgress() async throws {
        let gate = Gate()
        await gate.open()
        try await ServerHarness.with(gate: gate) { server in
            let first = try await Self.post(server, key: "nightly-2026-12-07")
            let runId = try #require(try first.json()["runId"] as? String)
            await gate.close()
            async let other = Self.post(server, key: nil)
            let otherId = try await server.runInProgress()
            let again = try await Self.post(server, key: "nightly-2026-12-07")
            #expect(again.status == 200, "\(again.text)")
            #expect(try again.json()["runId"] as? String == runId)
            await gate.open()
            #expect(try await other.json()["runId"] as? String == otherId)
            #expect(try server.recordedRuns().count == 2)
            #expect(try await Self.metric(server, #"streamrecon_runs_not_started_total{reason="key_used"} 1"#))
        }
    }

    @Test func statusesAcksAndAlertsServedAndCounted() async throws {
        try await Receiver.with([.status(204)]) { receiver in
            try await ServerHarness.with(configure: { configuration, directory in
                let acks = directory.appendingPathComponent("acks.yaml").path
                try "- { stream: stream_2, kind: mismatch, owner: ops, reason: PAY-1, expires: 2999-01-01 }\n".write(toFile: acks, atomically: true, encoding: .utf8)
                configuration.acksPath = acks
                configuration.alerting = RunService.Alerting(sender: try WebhookAlertSender(url: receiver.url, secret: "s"), threshold: .critical)
            }) { server in
                let first = try await Self.post(server, key: nil)
                #expect(first.status == 200)
                let summary = try #require(try first.json()["summary"] as? [String: Any])
                #expect(summary["byStatus"] as? [String: Int] == ["new": 8, "persisting": 0, "resolved": 0])
                #expect(summary["acknowledged"] as? Int == 1)
                #expect(receiver.received.count == 1)
                let page = try #require(try JSONSerialization.jsonObject(with: receiver.received[0].body) as? [String: Any])
                #expect((page["new"] as? [[String: Any]])?.count == 6, "7 critical, one of them acknowledged")

                // The acks file is read again for each run: an empty list acknowledges nothing.
                try "[]\n".write(toFile: server.directory.appendingPathComponent("acks.yaml").path, atomically: true, encoding: .utf8)
                let second = try await Self.post(server, key: nil)
                let again = try #require(try second.json()["summary"] as? [String: Any])
                #expect(again["byStatus"] as? [String: Int] == ["new": 0, "persisting": 8, "resolved": 0])
                #expect(again["acknowledged"] as? Int == 0)
                #expect(receiver.received.count == 1, "persisting drift pages no one")

                for line in [#"streamrecon_discrepancies_by_status_total{status="new"} 8"#,
                             #"streamrecon_discrepancies_by_status_total{status="persisting"} 8"#,
                             #"streamrecon_discrepancies_by_status_total{status="resolved"} 0"#,
                             #"streamrecon_discrepancies_by_status_total{status="acknowledged"} 1"#,
                             #"streamrecon_alerts_total{outcome="delivered"} 1"#,
                             "streamrecon_last_run_new_unacknowledged 0"] {
                    #expect(try await Self.metric(server, line), "\(line)")
                }
                let firstId = try first.json()["runId"] as? String
                let row = try await DatabaseQueue(path: server.dbPath).read {
                    try String.fetchOne($0, sql: "SELECT alert_status FROM reconciliation_runs WHERE id = ?", arguments: [firstId])
                }
                #expect(row == "delivered (HTTP 204, 1 try)")
            }
        }
    }

    @Test func aBrokenAcksFileIsARulesErrorAndRunsNothing() async throws {
        try await ServerHarness.with(configure: { configuration, directory in
            let acks = directory.appendingPathComponent("acks.yaml").path
            try "- { stream: s, kind: nope, owner: o, reason: r, expires: 2999-01-01 }\n".write(toFile: acks, atomically: true, encoding: .utf8)
            configuration.acksPath = acks
        }) { server in
            let response = try await Self.post(server, key: nil)
            #expect(response.status == 422 && response.text.contains("unknown discrepancy kind 'nope'"), "\(response.text)")
            #expect(response.text.contains("acks.yaml has errors; nothing was run"), "\(response.text)")
            #expect(try server.recordedRuns().isEmpty)
        }
    }
}
