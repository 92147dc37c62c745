import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Reconciliation

/// Delivers an alert as one JSON POST to a webhook (SPEC §12, `--alert-url`): signed when a
/// secret is set (`AlertSignature`), each try bounded by the policy's timeout, retried with backoff
/// on timeouts, connection errors, 429 and 5xx, never following a redirect. Only `displayName`
/// (scheme, host and port) ever reaches a log line, an error or a delivery's detail.
public struct WebhookAlertSender: AlertSender {
    public static let urlVariable = "STREAMRECON_ALERT_URL"
    public static let secretVariable = "STREAMRECON_ALERT_SECRET"

    public let displayName: String
    public let policy: AlertPolicy
    private let url: WebhookURL
    private let secret: String?
    private let logger: Logger?

    /// A sender to `url`, which must be http or https with a host; `secret` (nil or empty: none)
    /// signs each request.
    public init(url: String, secret: String?, policy: AlertPolicy = .standard, logger: Logger? = nil) throws(AlertConfigurationError) {
        try self.init(url: url, option: "--alert-url", secret: secret, policy: policy, logger: logger)
    }

    private init(url: String, option: String, secret: String?, policy: AlertPolicy, logger: Logger?) throws(AlertConfigurationError) {
        self.url = try WebhookURL(url, option: option)
        displayName = self.url.displayName
        self.secret = secret.flatMap { $0.isEmpty ? nil : $0 }
        self.policy = policy
        self.logger = logger
    }

    /// The sender `url` (`--alert-url`) names, or else `STREAMRECON_ALERT_URL`, signing with
    /// `STREAMRECON_ALERT_SECRET` when set; nil when neither names one. An error names where the
    /// bad URL came from.
    public static func configured(url: String?, environment: [String: String], policy: AlertPolicy = .standard,
                                  logger: Logger? = nil) throws(AlertConfigurationError) -> WebhookAlertSender? {
        let secret = environment[secretVariable]
        if let url, !url.isEmpty {
            return try WebhookAlertSender(url: url, option: "--alert-url", secret: secret, policy: policy, logger: logger)
        }
        guard let url = environment[urlVariable], !url.isEmpty else { return nil }
        return try WebhookAlertSender(url: url, option: urlVariable, secret: secret, policy: policy, logger: logger)
    }

    public func send(_ body: Data) async -> AlertDelivery {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: timeLimit, read: timeLimit))
        // One connection attempt per try: the policy, not the pool, decides when to try again.
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let delivery = await deliver(body, with: client)
        // Not cut short by a cancelled task: it ends the client's connections, then returns.
        try? await client.shutdown()
        return delivery
    }

    private func deliver(_ body: Data, with client: HTTPClient) async -> AlertDelivery {
        var attempt = 0
        while true {
            guard !Task.isCancelled else {
                return AlertDelivery(outcome: .stopped, attempts: attempt, detail: "stopped before try \(attempt + 1)")
            }
            attempt += 1
            let outcome = await request(body, with: client)
            switch outcome {
            case .delivered(let detail):
                return AlertDelivery(outcome: .delivered, attempts: attempt, detail: detail)
            case .stopped:
                return AlertDelivery(outcome: .stopped, attempts: attempt, detail: "stopped during try \(attempt)")
            case .refused(let detail):
                logFailure(attempt, detail)
                return AlertDelivery(outcome: .failed, attempts: attempt, detail: detail)
            case .retry(let detail, let wait):
                logFailure(attempt, detail)
                guard attempt < policy.maxTries else { return AlertDelivery(outcome: .failed, attempts: attempt, detail: detail) }
                do {
                    try await Task.sleep(for: wait ?? policy.backoff(after: attempt))
                } catch {
                    return AlertDelivery(outcome: .stopped, attempts: attempt, detail: "\(detail); stopped before try \(attempt + 1)")
                }
            }
        }
    }

    /// One POST, bounded by the policy's timeout.
    private func request(_ body: Data, with client: HTTPClient) async -> AlertTry {
        var request = HTTPClientRequest(url: url.text)
        request.method = .POST
        request.headers = headers(for: body)
        request.body = .bytes(body)
        do {
            let response = try await client.execute(request, timeout: timeLimit)
            // The body is left unread: the status and headers say all a sender needs.
            return AlertTry.answer(status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"), policy: policy)
        } catch {
            return Task.isCancelled ? .stopped : AlertTry.failure(error, timeout: policy.timeout, url: url)
        }
    }

    /// The policy's timeout, as NIO counts time.
    private var timeLimit: TimeAmount { .nanoseconds(Int64(policy.timeout / .nanoseconds(1))) }

    private func headers(for body: Data) -> HTTPHeaders {
        var headers: HTTPHeaders = ["Content-Type": "application/json", "User-Agent": "streamrecon"]
        if let secret {
            // A fresh timestamp each try, so a retry after a long backoff still passes a receiver's age check.
            let timestamp = Int(Date().timeIntervalSince1970)
            headers.add(name: AlertSignature.timestampHeader, value: String(timestamp))
            headers.add(name: AlertSignature.signatureHeader, value: AlertSignature.sign(body: body, timestamp: timestamp, secret: secret))
        }
        return headers
    }

    private func logFailure(_ attempt: Int, _ detail: String) {
        logger?.warning("alert try failed", metadata: [
            "alert.destination": .string(displayName),
            "alert.attempt": .stringConvertible(attempt),
            "alert.max_tries": .stringConvertible(policy.maxTries),
            "alert.detail": .string(detail),
        ])
    }
}
