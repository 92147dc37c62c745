import Crypto
import Foundation

/// The bearer tokens the internal endpoint accepts (docs/operations.md, "The internal HTTP endpoint"). Only their SHA-256 digests are
/// kept, and a presented token is compared with every one of them in constant time, so neither
/// a token's bytes nor its length leak through timing.
public struct ServiceTokens: Sendable {
    /// The environment variable holding comma-separated tokens.
    public static let environmentVariable = "STREAMRECON_INTERNAL_TOKEN"
    /// The environment variable naming a file with one token per line (or comma-separated).
    public static let fileVariable = "STREAMRECON_INTERNAL_TOKEN_FILE"
    /// Shorter tokens are refused: a service token is a long random secret
    /// (`openssl rand -base64 33` gives 44 characters).
    public static let minimumLength = 32
    /// Tokens with fewer different characters are refused: `aaaa…` or `abababab…` is not random.
    public static let minimumDistinctCharacters = 16

    private let digests: [SHA256.Digest]

    /// How many tokens are accepted (two while one is being rotated out).
    public var count: Int { digests.count }

    /// Tokens given directly. Blank entries are ignored; at least one token is required.
    public init(_ tokens: [String], origin: String = "the token list") throws(ServiceTokenError) {
        var digests: [SHA256.Digest] = []
        for (index, raw) in tokens.enumerated() {
            let token = raw.trimmingCharacters(in: .whitespaces)
            if token.isEmpty { continue }
            // The error names the token's position, never its text.
            guard token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw .invalid(origin: origin, position: index + 1, reason: "holds a character other than printable ASCII")
            }
            guard token.utf8.count >= Self.minimumLength else {
                throw .invalid(origin: origin, position: index + 1,
                               reason: "is \(token.utf8.count) characters long; at least \(Self.minimumLength) are required")
            }
            let distinct = Set(token.utf8).count
            guard distinct >= Self.minimumDistinctCharacters else {
                throw .invalid(origin: origin, position: index + 1, reason: "has only \(distinct) different characters; "
                               + "at least \(Self.minimumDistinctCharacters) are required (use a random token: openssl rand -base64 33)")
            }
            digests.append(SHA256.hash(data: Data(token.utf8)))
        }
        guard !digests.isEmpty else { throw .none(origin: origin) }
        self.digests = digests
    }

    /// The tokens configured in the environment: `STREAMRECON_INTERNAL_TOKEN` (comma-separated)
    /// or the file named by `STREAMRECON_INTERNAL_TOKEN_FILE`, not both.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(ServiceTokenError) -> ServiceTokens {
        let direct = environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
        let file = environment[fileVariable].flatMap { $0.isEmpty ? nil : $0 }
        switch (direct, file) {
        case (nil, nil):
            throw .notConfigured
        case (.some, .some):
            throw .ambiguous
        case (let direct?, nil):
            return try ServiceTokens(direct.split(separator: ",", omittingEmptySubsequences: false).map(String.init), origin: environmentVariable)
        case (nil, let path?):
            var status = stat()
            guard stat(path, &status) == 0 else { throw .unreadableFile(path: path) }
            // Like ssh with a private key: a secret others can read is refused, not used.
            guard status.st_mode & 0o077 == 0 else {
                throw .fileOpenToOthers(path: path, mode: String(status.st_mode & 0o777, radix: 8))
            }
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw .unreadableFile(path: path)
            }
            // Comments go first (a comment may hold commas), then each line may list several tokens.
            let entries = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .flatMap { $0.hasPrefix("#") ? [""] : $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            return try ServiceTokens(entries, origin: path)
        }
    }

    /// Whether `presented` is one of the tokens. Every digest is compared in full, whatever matches.
    public func accepts(_ presented: some StringProtocol) -> Bool {
        let digest = SHA256.hash(data: Data(presented.utf8))
        var matched: UInt8 = 0
        for accepted in digests {
            var difference: UInt8 = 0
            for (a, b) in zip(accepted, digest) { difference |= a ^ b }
            matched |= difference == 0 ? 1 : 0
        }
        return matched == 1
    }
}

/// Why the server has no usable token. Never carries a token's text.
public enum ServiceTokenError: Error, Sendable, Equatable, CustomStringConvertible {
    case notConfigured
    case ambiguous
    case unreadableFile(path: String)
    case fileOpenToOthers(path: String, mode: String)
    case none(origin: String)
    case invalid(origin: String, position: Int, reason: String)

    public var description: String {
        switch self {
        case .notConfigured:
            "no service token is configured: set \(ServiceTokens.environmentVariable) (comma-separated tokens) "
                + "or \(ServiceTokens.fileVariable) (a file with one token per line); the server does not start without one"
        case .ambiguous:
            "both \(ServiceTokens.environmentVariable) and \(ServiceTokens.fileVariable) are set; set only one"
        case .unreadableFile(let path):
            "cannot read the token file \(path) named by \(ServiceTokens.fileVariable)"
        case .fileOpenToOthers(let path, let mode):
            "the token file \(path) named by \(ServiceTokens.fileVariable) can be read or written by group or others "
                + "(mode \(mode)); make it private to the server's user: chmod 600 \(path)"
        case .none(let origin):
            "\(origin) holds no token; the server does not start without one"
        case .invalid(let origin, let position, let reason):
            "token \(position) in \(origin) \(reason)"
        }
    }
}
