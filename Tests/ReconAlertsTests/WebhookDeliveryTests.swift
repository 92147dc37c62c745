import WebhookReceiver
import Crypto
import Foundation
import ReconAlerts
import Reconciliation
import Testing

/// Short waits between tries: these tests are about which tries happen, not how long apart.
/// Each try may take long: on a busy machine the receiver in this process answered a try after
/// more than the standard 10 s, and the try timed out and was made again (the tests about
/// timeouts set their own).
let quick = AlertPolicy(timeout: .seconds(120), initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(40))
let message = Data(#"{"runId":"run-1","status":"drift","text":"2 new critical discrepancies in streams"}"#.utf8)

/// Neither a delivery's detail nor a log line may hold the URL's secret path or query.
func expectNoSecret(_ delivery: AlertDelivery, _ logs: LogCapture, sourceLocation: SourceLocation = #_sourceLocation) {
    for text in [delivery.detail, delivery.description] + logs.entries {
        #expect(!text.contains("s3cret") && !text.contains("/services"), "\(text)", sourceLocation: sourceLocation)
    }
}

@Suite("webhook delivery")
struct WebhookDeliveryTests {
    @Test func aSignedAlertIsDeliveredAndTheReceiverVerifiesTheBytesItGot() async throws {
        try await Receiver.with([.status(200)]) { receiver in
            let sender = try WebhookAlertSender(url: receiver.url, secret: "topsecret", policy: quick)
            let delivery = await sender.send(message)
            #expect(delivery == AlertDelivery(outcome: .delivered, attempts: 1, detail: "HTTP 200"))
            #expect(receiver.received.count == 1)
            let request = try #require(receiver.received.first)
            #expect(request.target == Receiver.secretTarget)
            #expect(request.body == message)
            #expect(request.headers["content-type"] == "application/json")
            #expect(request.headers["user-agent"] == "streamrecon")
            let timestamp = try #require(request.headers["x-streamrecon-timestamp"])
            let signature = try #require(request.headers["x-streamrecon-signature"])
            #expect(AlertSignature.verify(signature: signature, body: request.body, timestamp: timestamp, secret: "topsecret"))
            #expect(!AlertSignature.verify(signature: signature, body: request.body, timestamp: timestamp, secret: "othersecret"))
            // Recomputed from the spec's words, not through the sender's code.
            let key = SymmetricKey(data: Data("topsecret".utf8))
            let code = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).".utf8) + request.body, using: key)
            #expect(signature == "sha256=" + code.map { String(format: "%02x", $0) }.joined())
            let seconds = try #require(Int(timestamp))
            #expect(abs(seconds - Int(Date().timeIntervalSince1970)) < 60)
        }
    }

    @Test(arguments: [nil, ""]) func withoutASecretNothingIsSigned(secret: String?) async throws {
        try await Receiver.with([.status(204)]) { receiver in
            let delivery = await (try WebhookAlertSender(url: receiver.url, secret: secret, policy: quick)).send(message)
            #expect(delivery == AlertDelivery(outcome: .delivered, attempts: 1, detail: "HTTP 204"))
            let request = try #require(receiver.received.first)
            #expect(request.headers["x-streamrecon-timestamp"] == nil)
            #expect(request.headers["x-streamrecon-signature"] == nil)
            #expect(request.headers["content-type"] == "application/json")
        }
    }

    @Test func serverErrorsAreRetriedUntilDeliveredAndEachFailedTryIsLogged() async throws {
        try await Receiver.with([.status(500), .status(500), .status(204)]) { receiver in
            let logs = LogCapture()
            let sender = try WebhookAlertSender(url: receiver.url, secret: "topsecret", policy: quick, logger: logs.logger)
            let delivery = await sender.send(message)
            #expect(delivery == AlertDelivery(outcome: .delivered, attempts: 3, detail: "HTTP 204"))
            #expect(receiver.received.count == 3)
            #expect(receiver.received.allSatisfy { $0.body == message })
            let destination = "alert.destination=http://127.0.0.1:\(receiver.port)"
            #expect(logs.entries == [1, 2].map { "warning alert try failed alert.attempt=\($0) \(destination) alert.detail=HTTP 500 alert.max_tries=5" })
            expectNoSecret(delivery, logs)
        }
    }

    @Test func aReceiverThatAlwaysFailsGetsExactlyMaxTries() async throws {
        try await Receiver.with([.status(500)]) { receiver in
            let logs = LogCapture()
            let delivery = await (try WebhookAlertSender(url: receiver.url, secret: nil, policy: quick, logger: logs.logger)).send(message)
            #expect(delivery == AlertDelivery(outcome: .failed, attempts: 5, detail: "HTTP 500"))
            #expect(delivery.description == "failed (HTTP 500, 5 tries)")
            #expect(receiver.received.count == 5)
            #expect(logs.entries.count == 5)
            expectNoSecret(delivery, logs)
        }
    }

    @Test func a429WaitsAsLongAsRetryAfterSays() async throws {
        try await Receiver.with([.status(429, headers: ["Retry-After": "1"]), .status(200)]) { receiver in
            let delivery = await (try WebhookAlertSender(url: receiver.url, secret: nil, policy: quick)).send(message)
            #expect(delivery == AlertDelivery(outcome: .delivered, attempts: 2, detail: "HTTP 200"))
            let received = receiver.received
            try #require(received.count == 2)
            // The policy's own backoff is 10 ms: the wait is the receiver's second.
            #expect(received[1].at - received[0].at >= .milliseconds(950))
        }
    }

    @Test func aRetryAfterLongerThanTheMaximumFailsAtOnce() async throws {
        try await Receiver.with([.status(429, headers: ["Retry-After": "120"]), .status(200)]) { receiver in
            let logs = LogCapture()
            let delivery = await (try WebhookAlertSender(url: receiver.url, secret: nil, policy: quick, logger: logs.logger)).send(message)
            #expect(delivery == AlertDelivery(outcome: .failed, attempts: 1,
                                              detail: "HTTP 429; Retry-After asks for 120 s, longer than the 60 s a sender waits"))
            #expect(receiver.received.count == 1)
            #expect(logs.entries.count == 1)
        }
    }

    @Test(arguments: [301, 302, 307, 308]) func aRedirectFailsAndIsNotFollowed(status: Int) async throws {
        try await Receiver.with([.status(200)]) { elsewhere in
            try await Receiver.with([.status(status, headers: ["Location": elsewhere.url])]) { receiver in
                let logs = LogCapture()
                let delivery = await (try WebhookAlertSender(url: receiver.url, secret: "topsecret", policy: quick, logger: logs.logger)).send(message)
                #expect(delivery == AlertDelivery(outcome: .failed, attempts: 1, detail: "HTTP \(status); redirects are not followed"))
                #expect(receiver.received.count == 1)
                #expect(elsewhere.received.isEmpty)
                expectNoSecret(delivery, logs)
            }
        }
    }

    @Test(arguments: [400, 401, 404, 410]) func aClientErrorFailsAtOnce(status: Int) async throws {
        try await Receiver.with([.status(status), .status(200)]) { receiver in
            let delivery = await (try WebhookAlertSender(url: receiver.url, secret: nil, policy: quick)).send(message)
            #expect(delivery == AlertDelivery(outcome: .failed, attempts: 1, detail: "HTTP \(status)"))
            #expect(receiver.received.count == 1)
        }
    }

    @Test func aReceiverThatNeverAnswersTimesOutEachTry() async throws {
        try await Receiver.with([.hang]) { receiver in
            let logs = LogCapture()
            let policy = AlertPolicy(maxTries: 2, timeout: .milliseconds(500), initialBackoff: .milliseconds(10))
            let start = ContinuousClock.now
            let delivery = await (try WebhookAlertSender(url: receiver.url, secret: nil, policy: policy, logger: logs.logger)).send(message)
            #expect(delivery == AlertDelivery(outcome: .failed, attempts: 2, detail: "timed out after 0.5 s"))
            #expect(ContinuousClock.now - start >= .seconds(1))
            #expect(logs.entries.count == 2)
            expectNoSecret(delivery, logs)
        }
    }

    @Test func aRefusedConnectionIsRetried() async throws {
        let port = try await Receiver.closedPort()
        let logs = LogCapture()
        let policy = AlertPolicy(maxTries: 2, timeout: .seconds(10), initialBackoff: .milliseconds(10))
        let sender = try WebhookAlertSender(url: "http://127.0.0.1:\(port)\(Receiver.secretTarget)", secret: nil, policy: policy, logger: logs.logger)
        let delivery = await sender.send(message)
        #expect(delivery == AlertDelivery(outcome: .failed, attempts: 2, detail: "connection refused"))
        expectNoSecret(delivery, logs)
    }
}
