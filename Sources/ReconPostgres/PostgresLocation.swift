import Foundation
import ReconSources

/// A PostgreSQL location as libpq reads it: `postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=…`
/// (or `postgresql://`), each part left out taken from `PGHOST`, `PGPORT`, `PGUSER`,
/// `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`, `PGSSLROOTCERT`, `PGCONNECT_TIMEOUT`, then libpq's
/// defaults. The password is kept out of `displayName` and every error.
public struct PostgresLocation: Sendable, Equatable {
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    /// The CA certificates `verify-ca`/`verify-full` trust (PEM file); nil: the system's.
    public var sslRootCert: String?
    /// How long connecting may take.
    public var connectTimeout: Duration
    /// How long one wait for the database may take before the read is given up (`read_timeout`).
    public var readTimeout: Duration
    /// How the connections name themselves to the server (`application_name`, default `streamrecon`).
    public var applicationName: String
    /// For a run store: the schema its tables are in; nil: `public`.
    public var schema: String?

    /// The URL without the password, and without query parameters but `sslmode` and `schema`.
    public var displayName: String {
        let query = [sslMode == .prefer ? nil : "sslmode=\(sslMode.rawValue)", schema.map { "schema=\($0)" }].compactMap { $0 }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(Self.encode(user))@\(hostPart):\(port)/\(Self.encode(database))" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }

    static let queryParameters = ["sslmode", "sslrootcert", "connect_timeout", "read_timeout", "schema", "application_name"]

    /// Parses `url`; the environment fills what it leaves out. Errors name `option` and never the password.
    public init(_ url: String, environment: [String: String] = ProcessInfo.processInfo.environment, option: String = "--db") throws(SourceError) {
        func fail(_ message: String) -> SourceError { SourceError(.unsupported, at: option, message) }
        let lowered = url.lowercased()
        guard let schemeEnd = url.range(of: "://"), ["postgres", "postgresql"].contains(lowered[..<schemeEnd.lowerBound]) else {
            throw fail("not a postgres:// URL")
        }
        var rest = Substring(url[schemeEnd.upperBound...])
        // An '@' after a '/' or '?' means a user name or password holding one of those unescaped:
        // refused without echoing any part, which could be the password's.
        if let at = rest.lastIndex(of: "@"), rest[..<at].contains(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
            throw fail("the URL has an '@' after a '/' or '?': percent-encode '/', '?', '#', '@' and ':' in the user name and password (%2F, %3F, %23, %40, %3A)")
        }
        var query = ""
        if let mark = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: mark)...])
            rest = rest[..<mark]
        }
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[rest.index(after: slash)...])
            rest = rest[..<slash]
        }
        var userInfo: Substring?
        if let at = rest.lastIndex(of: "@") {
            userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
        }
        var hostText = String(rest), portText: String?
        if hostText.hasPrefix("[") {
            guard let close = hostText.firstIndex(of: "]") else { throw fail("the host's '[' has no closing ']'") }
            let after = hostText[hostText.index(after: close)...]
            if after.hasPrefix(":") { portText = String(after.dropFirst()) } else if !after.isEmpty { throw fail("unexpected text after the host's ']'") }
            hostText = String(hostText[hostText.index(after: hostText.startIndex)..<close])
        } else if let colon = hostText.lastIndex(of: ":") {
            portText = String(hostText[hostText.index(after: colon)...])
            hostText = String(hostText[..<colon])
        }
        guard hostText.rangeOfCharacter(from: CharacterSet(charactersIn: ",")) == nil else {
            throw fail("several hosts in one URL are not supported; give one host")
        }
        var userText: String?, passwordText: String?
        if let userInfo {
            if let colon = userInfo.firstIndex(of: ":") {
                userText = String(userInfo[..<colon])
                passwordText = String(userInfo[userInfo.index(after: colon)...])
            } else {
                userText = String(userInfo)
            }
        }
        func decode(_ text: String?, _ what: String) throws(SourceError) -> String? {
            guard let text, !text.isEmpty else { return nil }
            guard let decoded = text.removingPercentEncoding else { throw fail("the \(what) has a bad %-escape") }
            return decoded
        }
        var parameters: [String: String] = [:]
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            guard Self.queryParameters.contains(key) else {
                throw fail("unknown URL parameter '\(key.removingPercentEncoding ?? key)'; streamrecon reads \(Self.queryParameters.joined(separator: ", "))")
            }
            parameters[key] = try decode(parts.count > 1 ? String(parts[1]) : "", "parameter '\(key)'") ?? ""
        }
        host = try decode(hostText, "host") ?? environment["PGHOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "localhost"
        guard !host.hasPrefix("/") else { throw fail("Unix-domain socket hosts are not supported; give a host name or address") }
        let portValue = try decode(portText, "port") ?? environment["PGPORT"].flatMap { $0.isEmpty ? nil : $0 } ?? "5432"
        guard let port = Int(portValue), (1...65535).contains(port) else {
            // The text is not echoed: in a URL whose password holds an unescaped ':' it is the password's.
            throw fail("the port is not a whole number from 1 to 65535")
        }
        self.port = port
        user = try decode(userText, "user name") ?? environment["PGUSER"].flatMap { $0.isEmpty ? nil : $0 } ?? NSUserName()
        password = try decode(passwordText, "password") ?? environment["PGPASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        database = try decode(path, "database name") ?? environment["PGDATABASE"].flatMap { $0.isEmpty ? nil : $0 } ?? user
        let mode = parameters["sslmode"] ?? environment["PGSSLMODE"].flatMap { $0.isEmpty ? nil : $0 } ?? "prefer"
        guard let sslMode = SSLMode(rawValue: mode) else {
            throw fail("sslmode '\(mode)' is not supported; use \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.sslMode = sslMode
        sslRootCert = parameters["sslrootcert"] ?? environment["PGSSLROOTCERT"].flatMap { $0.isEmpty ? nil : $0 }
        let timeout = parameters["connect_timeout"] ?? environment["PGCONNECT_TIMEOUT"].flatMap { $0.isEmpty ? nil : $0 } ?? "10"
        guard let seconds = Int(timeout), (1...3600).contains(seconds) else {
            throw fail("connect_timeout '\(timeout)' is not a whole number of seconds from 1 to 3600")
        }
        connectTimeout = .seconds(seconds)
        let read = parameters["read_timeout"] ?? "300"
        guard let readSeconds = Int(read), (1...86_400).contains(readSeconds) else {
            throw fail("read_timeout '\(read)' is not a whole number of seconds from 1 to 86400")
        }
        readTimeout = .seconds(readSeconds)
        applicationName = parameters["application_name"].flatMap { $0.isEmpty ? nil : $0 } ?? "streamrecon"
        schema = parameters["schema"]
        if let schema, !Self.isPlainIdentifier(schema) {
            throw fail("schema '\(schema)' is not a plain SQL identifier; use letters, digits and '_', starting with a letter or '_'")
        }
    }

    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.utf8.count <= 63, first == "_" || CharacterSet.letters.contains(first), first.isASCII else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || CharacterSet.alphanumerics.contains($0)) }
    }

    private static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed.subtracting(CharacterSet(charactersIn: ":@/?#[]"))) ?? text
    }
}
