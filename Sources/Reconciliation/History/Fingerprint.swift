import Crypto
import ReconEngine

/// A discrepancy's identity from night to night: a hash of the rules name, stream id, kind,
/// field or rule, and side, never the values, so a mismatch whose values change is the same
/// discrepancy. 32 hex digits (the first 128 bits of a SHA-256).
public enum Fingerprint {
    public static func of(rulesName: String, streamId: String, kind: String, subject: String, side: String?) -> String {
        // "v1", then each part after a unit separator: no two different lists of parts join alike.
        // Hashed as UTF-8 bytes, built without an intermediate String: a run computes one per discrepancy.
        var text: [UInt8] = []
        text.reserveCapacity(8 + rulesName.utf8.count + streamId.utf8.count + kind.utf8.count + subject.utf8.count + (side?.utf8.count ?? 0))
        text.append(contentsOf: "v1".utf8)
        func add(_ part: String) {
            text.append(0x1F)
            text.append(contentsOf: part.utf8)
        }
        add(rulesName)
        add(streamId)
        add(kind)
        add(subject)
        add(side ?? "")
        let digest = SHA256.hash(data: text)
        return digest.withUnsafeBytes { bytes in
            String(unsafeUninitializedCapacity: 32) { hex in
                for index in 0..<16 {
                    hex[2 * index] = digits[Int(bytes[index] >> 4)]
                    hex[2 * index + 1] = digits[Int(bytes[index] & 0x0F)]
                }
                return 32
            }
        }
    }

    public static func of(_ finding: Finding, rulesName: String) -> String {
        of(rulesName: rulesName, streamId: finding.streamId, kind: finding.kind.rawValue, subject: finding.subject, side: finding.side?.rawValue)
    }

    private static let digits = Array("0123456789abcdef".utf8)
}
