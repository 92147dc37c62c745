import Crypto
import Foundation

/// How a receiver knows an alert came from this streamrecon: with a shared secret
/// (`STREAMRECON_ALERT_SECRET`), each request carries `X-Streamrecon-Timestamp: SECONDS` (Unix
/// time, decimal) and `X-Streamrecon-Signature: sha256=HEX`, the lowercase hex HMAC-SHA256, keyed
/// by the secret, of the timestamp's text, a '.', and the body's exact bytes. A receiver recomputes
/// it over the bytes it received and also refuses a timestamp far from its own clock, so a
/// captured request cannot be replayed later.
public enum AlertSignature {
    public static let timestampHeader = "X-Streamrecon-Timestamp"
    public static let signatureHeader = "X-Streamrecon-Signature"

    /// The `X-Streamrecon-Signature` value for `body` sent at `timestamp` (Unix seconds).
    public static func sign(body: Data, timestamp: Int, secret: String) -> String {
        "sha256=" + hex(HMAC<SHA256>.authenticationCode(for: message(body, timestamp: String(timestamp)), using: key(secret)))
    }

    /// Whether `signature` (an `X-Streamrecon-Signature` value) signs `body` with `timestamp` (the
    /// `X-Streamrecon-Timestamp` value, as received) under `secret`; compared in constant time.
    /// It does not judge the timestamp's age: the receiver does.
    public static func verify(signature: String, body: Data, timestamp: String, secret: String) -> Bool {
        guard signature.hasPrefix("sha256="), let code = bytes(fromHex: signature.dropFirst("sha256=".count)) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: message(body, timestamp: timestamp), using: key(secret))
    }

    private static func key(_ secret: String) -> SymmetricKey { SymmetricKey(data: Data(secret.utf8)) }

    private static func message(_ body: Data, timestamp: String) -> Data { Data((timestamp + ".").utf8) + body }

    private static let digits = Array("0123456789abcdef".utf8)

    private static func hex(_ code: some Sequence<UInt8>) -> String {
        var text: [UInt8] = []
        for byte in code {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static func bytes(fromHex text: Substring) -> [UInt8]? {
        let nibbles = text.utf8.map { digits.firstIndex(of: (0x41...0x46).contains($0) ? $0 + 0x20 : $0) }
        guard nibbles.count == 64, nibbles.allSatisfy({ $0 != nil }) else { return nil }
        return stride(from: 0, to: nibbles.count, by: 2).map { UInt8(nibbles[$0]! << 4 | nibbles[$0 + 1]!) }
    }
}
