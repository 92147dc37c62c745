import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

/// What one request of a delivery came to, and so what the sender does next. Every detail is in
/// the operator's words ("HTTP 500", "connection refused") and never holds the URL.
enum AlertTry: Sendable, Equatable {
    /// The receiver answered 2xx.
    case delivered(String)
    /// It may pass: try again after `wait`, or after the policy's backoff when nil.
    case retry(String, wait: Duration?)
    /// Another try would get the same: a redirect, a 4xx, a `Retry-After` too long to wait.
    case refused(String)
    /// The task was cancelled during the request.
    case stopped

    /// What an answer with `status` (and a 429's `Retry-After`) comes to under `policy`.
    static func answer(status: Int, retryAfter: String?, policy: AlertPolicy, now: Date = Date()) -> AlertTry {
        let detail = "HTTP \(status)"
        switch status {
        case 200..<300:
            return .delivered(detail)
        case 300..<400:
            return .refused("\(detail); redirects are not followed")
        case 429:
            guard let wait = retryAfter.flatMap({ RetryAfter.wait($0, now: now) }) else { return .retry(detail, wait: nil) }
            guard wait <= policy.maxRetryAfter else {
                return .refused("\(detail); Retry-After asks for \(wait.secondsText), longer than the \(policy.maxRetryAfter.secondsText) a sender waits")
            }
            return .retry(detail, wait: wait)
        case 500..<600:
            return .retry(detail, wait: nil)
        default:
            return .refused(detail)
        }
    }

    /// What a request that ended in `error` comes to: no answer may pass, so it is tried again.
    static func failure(_ error: any Error, timeout: Duration, url: WebhookURL) -> AlertTry {
        .retry(describe(error, timeout: timeout, url: url), wait: nil)
    }

    static func describe(_ error: any Error, timeout: Duration, url: WebhookURL) -> String {
        let timedOut = "timed out after \(timeout.secondsText)"
        switch error {
        case let error as HTTPClientError:
            switch error {
            case .readTimeout, .writeTimeout, .connectTimeout, .deadlineExceeded, .getConnectionFromPoolTimeout, .tlsHandshakeTimeout:
                return timedOut
            case .remoteConnectionClosed:
                return "the receiver closed the connection without answering"
            default:
                return url.redacting(error.description)
            }
        case ChannelError.connectTimeout:
            return timedOut
        case let error as NIOConnectionError:
            guard let last = error.connectionErrors.last else { return "the host name did not resolve" }
            return describe(last.error, timeout: timeout, url: url)
        case let error as IOError:
            switch error.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case ECONNRESET: return "connection reset"
            case ETIMEDOUT: return timedOut
            case EHOSTUNREACH: return "host unreachable"
            case ENETUNREACH: return "network unreachable"
            default: return "connection failed: \(String(cString: strerror(error.errnoCode)))"
            }
        default:
            return url.redacting(String(describing: error))
        }
    }
}
