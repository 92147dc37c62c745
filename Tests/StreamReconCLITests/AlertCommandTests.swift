import Foundation
import GRDB
import ReconAlerts
import Testing
import WebhookReceiver

/// `run --alert-url`, through the real binary, against a webhook receiver on a loopback port.
struct AlertCommandTests {
    let scratch: RunCommandTests
    let app: String
    static let secret = "whsec-test-3f9a"

    init() throws {
        (scratch, app) = try RunCommandTests.demoApp()
    }

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["STREAMRECON_ALERT_URL"] = nil
        environment["STREAMRECON_ALERT_SECRET"] = Self.secret
        return environment
    }

    func run(_ arguments: [String], environment: [String: String]? = nil,
             started: @escaping @Sendable (Int32) -> Void = { _ in }) async throws -> CLIRunner.Output {
        try await CLIRunner.runAsync(["run", "--db", app, "--format", "json"] + arguments, in: scratch.directory,
                                     environment: environment ?? self.environment, started: started)
    }

    func alertStatus(_ runId: String) throws -> String? {
        try DatabaseQueue(path: app).read { try String.fetchOne($0, sql: "SELECT alert_status FROM reconciliation_runs WHERE id = ?", arguments: [runId]) }
    }

    @Test func aRunWithNewDriftPostsOneSignedAlertAndRetriesA500() async throws {
        try await Receiver.with([.status(500), .status(204)]) { receiver in
            let output = try await run(["--alert-url", receiver.url])
            #expect(output.status == 1, "the run's own exit status: \(output.stderr)")
            let report = try scratch.json(output.stdout)
            let runId = try #require(report["runId"] as? String)
            #expect(receiver.received.count == 2)
            let request = try #require(receiver.received.last)
            #expect(request.target == Receiver.secretTarget)
            let timestamp = try #require(request.headers["x-streamrecon-timestamp"])
            let signature = try #require(request.headers["x-streamrecon-signature"])
            #expect(AlertSignature.verify(signature: signature, body: request.body, timestamp: timestamp, secret: Self.secret))
            #expect(abs((Int(timestamp) ?? 0) - Int(Date().timeIntervalSince1970)) < 600)
            let message = try #require(try JSONSerialization.jsonObject(with: request.body) as? [String: Any])
            #expect(message["runId"] as? String == runId && message["status"] as? String == "drift")
            // Seven new critical discrepancies; stream_9's warning is below the default --alert-on critical.
            #expect((message["new"] as? [[String: Any]])?.count == 7)
            #expect(message["resolvedCount"] as? Int == 0)
            #expect((message["text"] as? String)?.contains("found 7 new discrepancies at or above critical") == true, "\(message)")
            #expect((message["summary"] as? [String: Any])?["discrepancies"] as? Int == 8)
            #expect(try alertStatus(runId) == "delivered (HTTP 204, 2 tries)")
            #expect((report["alert"] as? [String: Any])?["outcome"] as? String == "delivered")
            // The webhook's secret path never reaches the output.
            #expect(!output.stderr.contains("s3cret") && !output.stdout.contains("s3cret"))

            // Tonight's drift again: persisting only, no page. A dry run never alerts either.
            let again = try await run(["--alert-url", receiver.url])
            #expect(again.status == 1)
            let againId = try #require(try scratch.json(again.stdout)["runId"] as? String)
            #expect(try alertStatus(againId) == nil)
            #expect(try await run(["--alert-url", receiver.url, "--dry-run"]).status == 1)
            #expect(receiver.received.count == 2)

            // A new problem pages again, with only the new one listed.
            let queue = try DatabaseQueue(path: app)
            try await queue.write { try $0.execute(sql: "UPDATE streams SET released_amount = '250001' WHERE id = 'stream_1'") }
            try queue.close()
            let drift = try await run(["--alert-url", receiver.url, "--alert-on", "warning"])
            #expect(drift.status == 1)
            let last = try #require(receiver.received.last)
            let page = try #require(try JSONSerialization.jsonObject(with: last.body) as? [String: Any])
            #expect((page["new"] as? [[String: Any]])?.map { $0["streamId"] as? String } == ["stream_1"])
        }
    }

    @Test func a429sRetryAfterIsWaited() async throws {
        try await Receiver.with([.status(429, headers: ["Retry-After": "1"]), .status(200)]) { receiver in
            let output = try await run([], environment: environment.merging(["STREAMRECON_ALERT_URL": receiver.url]) { $1 })
            #expect(output.status == 1)
            let requests = receiver.received
            #expect(requests.count == 2)
            if requests.count == 2 { #expect(requests[1].at - requests[0].at >= .milliseconds(950)) }
            let runId = try #require(try scratch.json(output.stdout)["runId"] as? String)
            #expect(try alertStatus(runId) == "delivered (HTTP 200, 2 tries)")
        }
    }

    @Test func aFailedAlertNeverFailsTheRun() async throws {
        try await Receiver.with([.status(404)]) { receiver in
            let output = try await run(["--alert-url", receiver.url])
            #expect(output.status == 1, "drift, as without an alert")
            #expect(output.stderr.contains("warning: the run's alert was not delivered: failed (HTTP 404, 1 try); the run itself is recorded"), "\(output.stderr)")
            let report = try scratch.json(output.stdout)
            #expect(report["persisted"] as? Bool == true)
            let runId = try #require(report["runId"] as? String)
            #expect(try alertStatus(runId) == "failed (HTTP 404, 1 try)")
        }
    }

    @Test func aRunThatFailedAlertsEvenWithoutNewDrift() async throws {
        let queue = try DatabaseQueue(path: app)
        // A column the rules read is gone: the run is recorded, and fails.
        try await queue.write { try $0.execute(sql: "ALTER TABLE streams RENAME COLUMN released_amount TO released") }
        try queue.close()
        try await Receiver.with([.status(200)]) { receiver in
            let output = try await run(["--alert-url", receiver.url])
            #expect(output.status == 3)
            let alert = try #require(receiver.received.first)
            let message = try #require(try JSONSerialization.jsonObject(with: alert.body) as? [String: Any])
            #expect(message["status"] as? String == "failed")
            #expect((message["new"] as? [Any])?.isEmpty == true, "the next completed run lists them: one page each")
            #expect((message["text"] as? String)?.contains("failed") == true)
        }
    }

    @Test func badAlertURLsAreUsageErrorsThatKeepTheirSecret() throws {
        for url in ["ftp://hooks.example.com/services/s3cret", "hooks.example.com/s3cret", "http:///s3cret", "http://user:s3cret@"] {
            let output = try scratch.run(["run", "--db", app, "--alert-url", url])
            #expect(output.status == 2, "\(url)")
            #expect(output.stderr.contains("--alert-url") && !output.stderr.contains("s3cret"), "\(output.stderr)")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["STREAMRECON_ALERT_URL"] = "gopher://s3cret"
        let fromEnvironment = try CLIRunner.run(["run", "--db", app], in: scratch.directory, environment: environment)
        #expect(fromEnvironment.status == 2 && fromEnvironment.stderr.contains("STREAMRECON_ALERT_URL") && !fromEnvironment.stderr.contains("s3cret"),
                "\(fromEnvironment.stderr)")
    }

    @Test func sigtermDuringAnAlertRetryEndsPromptlyAndTheRunStaysRecorded() async throws {
        try await Receiver.with([.status(429, headers: ["Retry-After": "50"])]) { receiver in
            let pid = Mutex<Int32>(0)
            async let output = run(["--alert-url", receiver.url]) { started in pid.withLock { $0 = started } }
            try await receiver.waitFor(requests: 1)
            let signalled = ContinuousClock.now
            kill(pid.withLock { $0 }, SIGTERM)
            let ended = try await output
            #expect(ContinuousClock.now - signalled < .seconds(40), "not the 50 s the receiver asked for")
            #expect(ended.status == 3)
            #expect(ended.stderr.contains("stopped by SIGTERM while the alert was sent"), "\(ended.stderr)")
            let row = try DatabaseQueue(path: app).read { try Row.fetchOne($0, sql: "SELECT status, alert_status FROM reconciliation_runs") }
            #expect(row?["status"] as String? == "drift")
            #expect((row?["alert_status"] as String?)?.hasPrefix("stopped") == true, "\(String(describing: row))")
            #expect(receiver.received.count == 1)
        }
    }
}

import Synchronization
