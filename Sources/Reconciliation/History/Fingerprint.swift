import Crypto
import ReconEngine

/// A discrepancy's identity from night to night: a hash of the rules name, stream id, kind,
/// field or rule, and side, never the values, so a mismatch whose values change is the same
/// discrepancy. 32 hex digits (the first 128 bits of a SHA-256).
public enum Fingerprint {
    public static func of(rulesName: String, streamId: String, kind: String, subject: String, side: String?) -> String {
        // Unit separators between the parts: no two different lists of parts join alike.
        var text = "v1"
        for part in [rulesName, streamId, kind, subject, side ?? ""] {
            text.unicodeScalars.append("\u{1F}")
            text += part
        }
        let digest = SHA256.hash(data: Array(text.utf8))
        var hex = ""
        hex.reserveCapacity(32)
        for byte in digest.prefix(16) {
            hex.append(Self.digits[Int(byte >> 4)])
            hex.append(Self.digits[Int(byte & 0x0F)])
        }
        return hex
    }

    public static func of(_ finding: Finding, rulesName: String) -> String {
        of(rulesName: rulesName, streamId: finding.streamId, kind: finding.kind.rawValue, subject: finding.subject, side: finding.side?.rawValue)
    }

    private static let digits = Array("0123456789abcdef")
}
