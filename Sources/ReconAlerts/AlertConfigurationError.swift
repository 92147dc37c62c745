/// Why an alert URL was refused, in words an operator can act on. It names the option the URL
/// came from and never repeats the URL: a webhook's secret is in its path, query or user info.
public struct AlertConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The text does not parse as a URL.
        case notAURL
        /// The URL has no scheme, such as `hooks.example.com/…`.
        case noScheme
        /// The scheme is not http or https; it is shown only when it plainly is one (`ftp://`).
        case unsupportedScheme(String?)
        /// The URL has no host, such as `https:///hook`.
        case noHost
        /// The port is 0 or over 65535.
        case badPort
    }

    /// `--alert-url` or `STREAMRECON_ALERT_URL`.
    public var option: String
    public var reason: Reason

    public init(_ reason: Reason, option: String = "--alert-url") {
        self.reason = reason
        self.option = option
    }

    public var description: String {
        switch reason {
        case .notAURL:
            return "\(option) is not a valid URL; give an http or https URL such as https://alerts.example.com/hook"
        case .noScheme:
            return "\(option) must be an http or https URL; it has no scheme (start it with https://)"
        case .unsupportedScheme(let scheme?):
            return "\(option) must be an http or https URL; got a '\(scheme)' URL"
        case .unsupportedScheme(nil):
            return "\(option) must be an http or https URL"
        case .noHost:
            return "\(option) has no host; give one, as in https://alerts.example.com/hook"
        case .badPort:
            return "\(option) has a port that is not from 1 to 65535"
        }
    }
}
