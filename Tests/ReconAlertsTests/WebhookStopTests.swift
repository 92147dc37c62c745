import WebhookReceiver
import Foundation
import ReconAlerts
import Reconciliation
import Testing

/// A stopping process cancels the task that sends its alert: the send ends at once, whatever it
/// was waiting for. The waits cut short here are a minute long; a prompt stop takes well under a
/// second, and the bound checked is generous for a loaded machine.
@Suite("webhook delivery: stopping")
struct WebhookStopTests {
    @Test func cancellingDuringABackoffStopsAtOnce() async throws {
        try await Receiver.with([.status(503)]) { receiver in
            let logs = LogCapture()
            let policy = AlertPolicy(initialBackoff: .seconds(60))
            let sender = try WebhookAlertSender(url: receiver.url, secret: nil, policy: policy, logger: logs.logger)
            let sending = Task { await sender.send(message) }
            // The failed try is logged just before the backoff begins.
            try await logs.waitFor("alert try failed")
            let cancelled = ContinuousClock.now
            sending.cancel()
            let delivery = await sending.value
            let took = ContinuousClock.now - cancelled
            #expect(delivery == AlertDelivery(outcome: .stopped, attempts: 1, detail: "HTTP 503; stopped before try 2"))
            #expect(took < .seconds(10), "took \(took)")
            #expect(receiver.received.count == 1)
        }
    }

    @Test func cancellingDuringARequestStopsAtOnce() async throws {
        try await Receiver.with([.hang]) { receiver in
            let policy = AlertPolicy(timeout: .seconds(60))
            let sender = try WebhookAlertSender(url: receiver.url, secret: nil, policy: policy)
            let sending = Task { await sender.send(message) }
            try await receiver.waitFor(requests: 1)
            let cancelled = ContinuousClock.now
            sending.cancel()
            let delivery = await sending.value
            let took = ContinuousClock.now - cancelled
            #expect(delivery == AlertDelivery(outcome: .stopped, attempts: 1, detail: "stopped during try 1"))
            #expect(took < .seconds(10), "took \(took)")
        }
    }

    @Test func aTaskCancelledBeforeSendingSendsNothing() async throws {
        try await Receiver.with([.status(200)]) { receiver in
            let sender = try WebhookAlertSender(url: receiver.url, secret: nil, policy: quick)
            let sending = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return await sender.send(message)
            }
            #expect(await sending.value == AlertDelivery(outcome: .stopped, attempts: 0, detail: "stopped before try 1"))
            #expect(receiver.received.isEmpty)
        }
    }
}
