import Foundation

/// A JSON-RPC endpoint: the URL requests go to, and a name for it that is safe to print and
/// store. Node URLs often carry an API key (`https://user:pass@host/…`, `…/v3/KEY`, `?apikey=`),
/// so the display name keeps the scheme, host and port only.
public struct RPCEndpoint: Sendable {
    public let url: URL
    public let displayName: String

    public init?(_ location: String) {
        guard let components = URLComponents(string: location), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty, let url = components.url
        else { return nil }
        self.url = url
        let port = components.port.map { ":\($0)" } ?? ""
        let hidden = components.user != nil || !(components.path.isEmpty || components.path == "/") || components.query != nil
        displayName = "\(scheme)://\(host)\(port)" + (hidden ? "/…" : "")
    }
}
