import Foundation

/// A checked http or https alert URL: the whole text, which only the request sees, and the
/// `displayName` that logs, errors and details may show.
struct WebhookURL: Sendable {
    /// The URL as given, secrets and all.
    let text: String
    /// `scheme://host[:port]`.
    let displayName: String
    /// The path, query, fragment and user info: what a description must never hold.
    let secretParts: [String]

    init(_ text: String, option: String) throws(AlertConfigurationError) {
        // URLComponents parses strictly (URL(string:) would percent-encode a stray space and call
        // the text a relative path); URL then reads the host as the request will.
        guard let components = URLComponents(string: text), let url = URL(string: text) else {
            throw AlertConfigurationError(.notAURL, option: option)
        }
        guard let scheme = components.scheme?.lowercased() else { throw AlertConfigurationError(.noScheme, option: option) }
        guard scheme == "http" || scheme == "https" else {
            // Shown only when it is followed by "://": in "user:password@host" the "scheme" is a user name.
            let plain = scheme.count <= 16 && text.lowercased().hasPrefix(scheme + "://")
            throw AlertConfigurationError(.unsupportedScheme(plain ? scheme : nil), option: option)
        }
        guard let host = url.host, !host.isEmpty else { throw AlertConfigurationError(.noHost, option: option) }
        if let port = components.port, !(1...65535).contains(port) { throw AlertConfigurationError(.badPort, option: option) }
        self.text = text
        let hostPart = host.contains(":") ? "[\(host)]" : host
        displayName = "\(scheme)://\(hostPart.lowercased())" + (components.port.map { ":\($0)" } ?? "")
        let parts = [components.percentEncodedPath, components.percentEncodedQuery, components.percentEncodedFragment,
                     components.percentEncodedUser, components.percentEncodedPassword, components.path, components.query,
                     components.user, components.password]
        secretParts = Set(parts.compactMap { $0 }.filter { $0.count > 1 }).sorted { $0.count > $1.count }
    }

    /// `text` with any of the URL's secret parts cut out: for an error's own words, which this
    /// code does not choose.
    func redacting(_ text: String) -> String {
        secretParts.reduce(text) { $0.replacingOccurrences(of: $1, with: "…") }
    }
}
