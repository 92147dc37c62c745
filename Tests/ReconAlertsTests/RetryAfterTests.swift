import Foundation
@testable import ReconAlerts
import Testing

@Suite("Retry-After")
struct RetryAfterTests {
    /// Sun, 06 Nov 1994 08:49:07 GMT: 30 s before the dates below.
    let now = Date(timeIntervalSince1970: 784_111_747)

    @Test func seconds() {
        #expect(RetryAfter.wait("1") == .seconds(1))
        #expect(RetryAfter.wait(" 120 ") == .seconds(120))
        #expect(RetryAfter.wait("0") == .seconds(0))
        #expect(RetryAfter.wait("99999999999999999999") == .seconds(1_000_000))
    }

    @Test func httpDatesInTheirThreeForms() {
        #expect(RetryAfter.wait("Sun, 06 Nov 1994 08:49:37 GMT", now: now) == .seconds(30))
        #expect(RetryAfter.wait("Sunday, 06-Nov-94 08:49:37 GMT", now: now) == .seconds(30))
        #expect(RetryAfter.wait("Sun Nov  6 08:49:37 1994", now: now) == .seconds(30))
        #expect(RetryAfter.wait("Sun, 06 Nov 1994 08:48:00 GMT", now: now) == .seconds(0), "a date past asks for no wait")
    }

    @Test func anythingElseIsNoAnswer() {
        for value in ["", "soon", "-5", "1.5", "5s", "Sun, 06 Nov 1994"] {
            #expect(RetryAfter.wait(value, now: now) == nil, "\(value)")
        }
    }
}
