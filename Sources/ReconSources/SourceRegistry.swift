/// The data sources a `--db` or `--chain` location can name, by URL scheme. A location with
/// no scheme (or `sqlite:`/`file:`) is a file path. Adding a source is adding a factory here.
public struct SourceRegistry: Sendable {
    public typealias DatabaseFactory = @Sendable (String) throws(SourceError) -> any AppDatabaseSource
    public typealias ChainFactory = @Sendable (String) throws(SourceError) -> any ChainSource

    public var databases: [String: DatabaseFactory]
    public var chains: [String: ChainFactory]

    public init(databases: [String: DatabaseFactory], chains: [String: ChainFactory]) {
        self.databases = databases
        self.chains = chains
    }

    public static let builtIn = SourceRegistry(
        databases: ["": { path throws(SourceError) in SQLiteAppDatabase(path: path) }],
        chains: ["": { path throws(SourceError) in ChainSnapshotFile(path: path) }]
    )

    /// The scheme of `location` ("" for a path) and the location without a `sqlite:`/`file:` prefix.
    static func split(_ location: String) -> (scheme: String, rest: String) {
        for prefix in ["sqlite:", "file:"] where location.hasPrefix(prefix) {
            return ("", String(location.dropFirst(prefix.count)).replacingOccurrences(of: "//", with: "", options: .anchored))
        }
        guard let range = location.range(of: "://") else { return ("", location) }
        return (location[..<range.lowerBound].lowercased(), location)
    }

    /// The file a location names (`sqlite:`/`file:` prefix removed), or nil for a URL of another scheme.
    public static func filePath(_ location: String) -> String? {
        let (scheme, rest) = split(location)
        return scheme.isEmpty ? rest : nil
    }

    public func appDatabase(_ location: String) throws(SourceError) -> any AppDatabaseSource {
        let (scheme, rest) = Self.split(location)
        guard let factory = databases[scheme] else {
            throw SourceError(.unsupported, at: "--db", "'\(scheme)://' databases are not supported; give an SQLite file path")
        }
        return try factory(rest)
    }

    public func chain(_ location: String) throws(SourceError) -> any ChainSource {
        let (scheme, rest) = Self.split(location)
        guard let factory = chains[scheme] else {
            throw SourceError(.unsupported, at: "--chain", "'\(scheme)://' chain sources are not supported; give a chain snapshot file path")
        }
        return try factory(rest)
    }
}
