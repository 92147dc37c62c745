import Foundation
import Testing

@Suite("serve: runs over HTTP")
struct ServerRunTests {
    @Test func aRunAnswersTheReportWithTheSeededDriftAndRecordsIt() async throws {
        try await ServerHarness.with { server in
            let response = try await server.post()
            #expect(response.status == 200)
            #expect(response.header("content-type")?.hasPrefix("application/json") == true)
            let report = try response.json()
            #expect(report["status"] as? String == "drift")
            #expect(report["dryRun"] as? Bool == false)
            #expect(report["persisted"] as? Bool == true)
            let findings = try #require(report["discrepancies"] as? [[String: Any]])
            let seeded = try #require(findings.first { $0["streamId"] as? String == "stream_2" && $0["kind"] as? String == "mismatch" })
            #expect(seeded["field"] as? String == "released_amount")
            #expect(seeded["dbValue"] as? String == "500")
            #expect(seeded["onChainValue"] as? String == "450")
            let runId = try #require(report["runId"] as? String)
            #expect(try server.recordedRuns() == [runId: "drift"])

            let latest = try await server.get("/api/internal/reconciliation/runs/latest")
            #expect(latest.status == 200)
            let body = try latest.json()
            let run = try #require(body["run"] as? [String: Any])
            #expect(run["id"] as? String == runId)
            #expect(run["status"] as? String == "drift")
            #expect((body["discrepancies"] as? [[String: Any]])?.count == findings.count)
        }
    }

    @Test(arguments: ["sqlite:", "file://"])
    func aDatabaseNamedWithAPrefixHoldsTheRunRecords(prefix: String) async throws {
        try await ServerHarness.with(locationPrefix: prefix) { server in
            let report = try await server.post().json()
            let runId = try #require(report["runId"] as? String)
            #expect(try server.recordedRuns() == [runId: "drift"])
            let latest = try await server.get("/api/internal/reconciliation/runs/latest")
            #expect(latest.status == 200)
            #expect((try latest.json()["run"] as? [String: Any])?["id"] as? String == runId)
        }
    }

    @Test(arguments: [("{\"dryRun\": true}", ""), ("", "?dryRun=true"), ("{\"dryRun\":true}", "?dryRun=true")])
    func aDryRunWritesNothing(body: String, query: String) async throws {
        try await ServerHarness.with { server in
            let before = try Data(contentsOf: URL(fileURLWithPath: server.dbPath))
            let response = try await server.post(json: body, query: query)
            #expect(response.status == 200)
            let report = try response.json()
            #expect(report["dryRun"] as? Bool == true)
            #expect(report["persisted"] as? Bool == false)
            #expect((report["discrepancies"] as? [[String: Any]])?.contains { $0["streamId"] as? String == "stream_2" } == true)
            #expect(try Data(contentsOf: URL(fileURLWithPath: server.dbPath)) == before)
            #expect(!FileManager.default.fileExists(atPath: server.dbPath + "-wal"))
            let latest = try await server.get("/api/internal/reconciliation/runs/latest")
            #expect(latest.status == 404)
            #expect(try latest.json()["error"] as? String == "no run has been recorded yet")
        }
    }

    @Test func aSecondRunWhileOneIsInProgressGets409WithTheRunningId() async throws {
        let gate = Gate()
        try await ServerHarness.with(gate: gate) { server in
            async let first = server.post(json: #"{"dryRun": true}"#)
            let runningId = try await server.runInProgress()
            let second = try await server.post(json: #"{"dryRun": true}"#)
            #expect(second.status == 409)
            #expect(try second.json()["runId"] as? String == runningId)
            #expect(try second.json()["error"] as? String == "a reconciliation run is already in progress")
            await gate.open()
            let answered = try await first
            #expect(answered.status == 200)
            #expect(try answered.json()["runId"] as? String == runningId)
            // Once it has finished, the next run goes ahead.
            #expect(try await server.post(json: #"{"dryRun": true}"#).status == 200)
        }
    }

    @Test func rulesAreReadForEveryRunAndABrokenEditGets422UntilItIsFixed() async throws {
        try await ServerHarness.with { server in
            let good = try String(contentsOfFile: server.rulesPath, encoding: .utf8)
            #expect(try await server.post(json: #"{"dryRun": true}"#).status == 200)

            try good.replacingOccurrences(of: "compare: exact ", with: "compare: exactly ")
                .write(toFile: server.rulesPath, atomically: true, encoding: .utf8)
            let broken = try await server.post(json: #"{"dryRun": true}"#)
            #expect(broken.status == 422)
            let body = try broken.json()
            #expect((body["error"] as? String)?.contains("does not compile") == true)
            let lint = try #require(body["lint"] as? [String: Any])
            let diagnostics = try #require(lint["diagnostics"] as? [[String: Any]])
            #expect(diagnostics.contains { ($0["message"] as? String)?.contains("exactly") == true && ($0["line"] as? Int ?? 0) > 0 })
            #expect(try server.recordedRuns().isEmpty, "a run with broken rules is not started")

            // The fixed file takes effect without a restart.
            try good.replacingOccurrences(of: "name: payment-streams", with: "name: payment-streams-edited")
                .write(toFile: server.rulesPath, atomically: true, encoding: .utf8)
            let fixed = try await server.post(json: #"{"dryRun": true}"#)
            #expect(fixed.status == 200)
            #expect((try fixed.json()["rules"] as? [String: Any])?["name"] as? String == "payment-streams-edited")
        }
    }

    @Test func metricsCountRunsDiscrepanciesAndTheLastRun() async throws {
        try await ServerHarness.with { server in
            let before = try await server.get("/metrics", token: nil)
            #expect(before.status == 200)
            #expect(before.text.contains("streamrecon_run_in_progress 0"))
            #expect(!before.text.contains("streamrecon_runs_total"))
            #expect(try await server.post(json: #"{"dryRun": true}"#).status == 200)
            #expect(try await server.post().status == 200)
            let metrics = try await server.get("/metrics", token: nil)
            #expect(metrics.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = metrics.text
            #expect(text.contains(#"streamrecon_runs_total{status="drift",dry_run="true"} 1"#))
            #expect(text.contains(#"streamrecon_runs_total{status="drift",dry_run="false"} 1"#))
            #expect(text.contains(#"streamrecon_discrepancies_total{kind="mismatch"} 4"#))
            #expect(text.contains(#"streamrecon_last_run_status{status="drift"} 1"#))
            #expect(text.contains(#"streamrecon_last_run_status{status="clean"} 0"#))
            #expect(text.contains(#"streamrecon_run_duration_seconds_count{dry_run="false"} 1"#))
            #expect(text.contains(#"streamrecon_runs_not_started_total"#) == false)
            let timestamp = try #require(text.split(separator: "\n").first { $0.hasPrefix("streamrecon_last_run_timestamp_seconds ") })
            let seconds = try #require(Double(timestamp.split(separator: " ")[1]))
            #expect(abs(seconds - Date().timeIntervalSince1970) < 60)
        }
    }

    @Test func aDryRunLeavesTheLastRunGaugesAloneAndRefusedRequestsAreCounted() async throws {
        try await ServerHarness.with { server in
            #expect(try await server.post(json: #"{"dryRun": true}"#).status == 200)
            try "not: [rules".write(toFile: server.rulesPath, atomically: true, encoding: .utf8)
            #expect(try await server.post(json: #"{"dryRun": true}"#).status == 422)
            let text = try await server.get("/metrics", token: nil).text
            #expect(text.contains(#"streamrecon_runs_total{status="drift",dry_run="true"} 1"#))
            #expect(!text.contains("streamrecon_last_run_status"), "a dry run is not the last recorded run")
            #expect(text.contains(#"streamrecon_runs_not_started_total{reason="rules_invalid"} 1"#))
        }
    }

    @Test func theLastRunGaugesStartFromTheRunTables() async throws {
        var recordedDB: String?
        try await ServerHarness.with { server in
            #expect(try await server.post().status == 200)
            let copy = FileManager.default.temporaryDirectory.appendingPathComponent("kept-\(UUID().uuidString).sqlite").path
            try FileManager.default.copyItem(atPath: server.dbPath, toPath: copy)
            recordedDB = copy
        }
        let kept = try #require(recordedDB)
        defer { try? FileManager.default.removeItem(atPath: kept) }
        try await ServerHarness.with(database: kept) { server in
            let text = try await server.get("/metrics", token: nil).text
            #expect(text.contains(#"streamrecon_last_run_status{status="drift"} 1"#))
            #expect(text.contains("streamrecon_last_run_discrepancies 8"))
            #expect(!text.contains("streamrecon_runs_total"), "counters start at zero in a new process")
        }
    }

    @Test func everyLineOfARunCarriesItsRunIdAndEveryRequestLineARequestId() async throws {
        try await ServerHarness.with { server in
            let report = try await server.post().json()
            let runId = try #require(report["runId"] as? String)
            let entries = server.logs.entries
            let runLines = entries.filter { $0["run_id"] != nil }
            #expect(runLines.count >= 2)
            #expect(runLines.allSatisfy { $0["run_id"] == runId })
            #expect(runLines.contains { $0["message"] == "run started" })
            #expect(runLines.contains { $0["message"] == "run finished" && $0["status"] == "drift" })
            let requests = entries.filter { $0["message"] == "request" }
            #expect(requests.count == 1)
            #expect(requests.allSatisfy { $0["hb.request.id"] != nil && $0["status"] == "200" && $0["path"] == "/api/internal/reconciliation" })
            // The run's lines are the request's lines too.
            #expect(Set(runLines.compactMap { $0["hb.request.id"] }) == Set(requests.compactMap { $0["hb.request.id"] }))
        }
    }

    @Test func healthzNeedsNoToken() async throws {
        try await ServerHarness.with { server in
            let response = try await server.get("/healthz", token: nil)
            #expect(response.status == 200)
            #expect(response.text == #"{"status":"ok"}"#)
        }
    }
}
