@testable import ReconAlerts
import Testing

@Suite("alert policy")
struct AlertPolicyTests {
    @Test func theStandardBackoffDoublesFromOneSecondToThirty() {
        #expect((1...7).map { AlertPolicy.standard.backoff(after: $0) } == [1, 2, 4, 8, 16, 30, 30].map { Duration.seconds($0) })
        #expect(AlertPolicy.standard.maxTries == 5)
        #expect(AlertPolicy.standard.timeout == .seconds(10))
        #expect(AlertPolicy.standard.maxRetryAfter == .seconds(60))
    }

    @Test func atLeastOneTry() {
        #expect(AlertPolicy(maxTries: 0).maxTries == 1)
    }

    @Test func waitsReadAsSeconds() {
        #expect([Duration.seconds(10), .milliseconds(500), .milliseconds(250), .milliseconds(1500), .seconds(0)].map(\.secondsText)
            == ["10 s", "0.5 s", "0.25 s", "1.5 s", "0 s"])
    }
}
