import AsyncHTTPClient
import Foundation
import NIOCore
@testable import ReconAlerts
import Testing

@Suite("alert try")
struct AlertTryTests {
    let url = try! WebhookURL("https://hooks.example.com/services/T0/B0/s3cretPath?token=s3cretQuery", option: "--alert-url")

    @Test func answersAreDeliveredRetriedOrRefused() {
        func answer(_ status: Int, _ retryAfter: String? = nil) -> AlertTry {
            AlertTry.answer(status: status, retryAfter: retryAfter, policy: .standard)
        }
        #expect(answer(200) == .delivered("HTTP 200"))
        #expect(answer(204) == .delivered("HTTP 204"))
        #expect(answer(301) == .refused("HTTP 301; redirects are not followed"))
        #expect(answer(404) == .refused("HTTP 404"))
        #expect(answer(500) == .retry("HTTP 500", wait: nil))
        #expect(answer(503, "5") == .retry("HTTP 503", wait: nil), "Retry-After is read on a 429 only")
        #expect(answer(429) == .retry("HTTP 429", wait: nil))
        #expect(answer(429, "soon") == .retry("HTTP 429", wait: nil))
        #expect(answer(429, "5") == .retry("HTTP 429", wait: .seconds(5)))
        #expect(answer(429, "60") == .retry("HTTP 429", wait: .seconds(60)))
        #expect(answer(429, "61") == .refused("HTTP 429; Retry-After asks for 61 s, longer than the 60 s a sender waits"))
    }

    @Test func errorsReadAsWhatHappenedWithoutTheURL() {
        func describe(_ error: any Error) -> String { AlertTry.describe(error, timeout: .seconds(10), url: url) }
        #expect(describe(IOError(errnoCode: ECONNREFUSED, reason: "connect")) == "connection refused")
        #expect(describe(IOError(errnoCode: ECONNRESET, reason: "read")) == "connection reset")
        #expect(describe(HTTPClientError.readTimeout) == "timed out after 10 s")
        #expect(describe(HTTPClientError.deadlineExceeded) == "timed out after 10 s")
        #expect(describe(HTTPClientError.connectTimeout) == "timed out after 10 s")
        #expect(describe(ChannelError.connectTimeout(.seconds(10))) == "timed out after 10 s")
        #expect(describe(HTTPClientError.remoteConnectionClosed) == "the receiver closed the connection without answering")
        let leaky = describe(Leaky(text: "failed POST https://hooks.example.com/services/T0/B0/s3cretPath?token=s3cretQuery"))
        #expect(!leaky.contains("s3cret"), "\(leaky)")
    }

    struct Leaky: Error, CustomStringConvertible {
        var text: String
        var description: String { text }
    }
}
