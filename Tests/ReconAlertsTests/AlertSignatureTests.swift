import Foundation
import ReconAlerts
import Testing

@Suite("alert signature")
struct AlertSignatureTests {
    let body = Data(#"{"runId":"r1"}"#.utf8)
    /// From Python's hmac module: hmac.new(b"topsecret", b'1700000000.{"runId":"r1"}', "sha256").hexdigest().
    let known = "sha256=4f52ff810c99bd6f4dc926bbccb1671db7bbeaa18571acf0b6a556809eb5bbc0"

    @Test func signsTheTimestampADotAndTheBody() {
        #expect(AlertSignature.sign(body: body, timestamp: 1_700_000_000, secret: "topsecret") == known)
    }

    @Test func verifiesItsOwnSignatureAndNothingElse() {
        #expect(AlertSignature.verify(signature: known, body: body, timestamp: "1700000000", secret: "topsecret"))
        #expect(AlertSignature.verify(signature: known.uppercased().replacingOccurrences(of: "SHA256=", with: "sha256="), body: body,
                                      timestamp: "1700000000", secret: "topsecret"))
        #expect(!AlertSignature.verify(signature: known, body: Data(#"{"runId":"r2"}"#.utf8), timestamp: "1700000000", secret: "topsecret"))
        #expect(!AlertSignature.verify(signature: known, body: body, timestamp: "1700000001", secret: "topsecret"))
        #expect(!AlertSignature.verify(signature: known, body: body, timestamp: "1700000000", secret: "topsecreT"))
        #expect(!AlertSignature.verify(signature: String(known.dropLast()), body: body, timestamp: "1700000000", secret: "topsecret"))
        #expect(!AlertSignature.verify(signature: known.replacingOccurrences(of: "sha256=", with: "sha1="), body: body,
                                       timestamp: "1700000000", secret: "topsecret"))
        #expect(!AlertSignature.verify(signature: "sha256=" + String(repeating: "zz", count: 32), body: body, timestamp: "1700000000",
                                       secret: "topsecret"))
    }
}
