/// The data sources a `--db` or `--chain` location can name, by URL scheme. A location with
/// no scheme (or `sqlite:`/`file:`) is a file path, scheme "". A source module registers its
/// factory under its schemes; the composition root decides which modules are in.
public struct SourceRegistry: Sendable {
    public typealias DatabaseFactory = @Sendable (String) throws(SourceError) -> any AppDatabaseSource
    public typealias ChainFactory = @Sendable (String) throws(SourceError) -> any ChainSource

    public var databases: [String: DatabaseFactory]
    public var chains: [String: ChainFactory]
    /// The chain for rules that say where it is (`evm.deployments`), when no location is given.
    public var deployments: (@Sendable () -> any ChainSource)?

    public init(databases: [String: DatabaseFactory] = [:], chains: [String: ChainFactory] = [:]) {
        self.databases = databases
        self.chains = chains
    }

    /// Registers an app database source for `schemes` ("" for a file path).
    public mutating func register(databases schemes: [String], _ factory: @escaping DatabaseFactory) {
        for scheme in schemes { databases[scheme] = factory }
    }

    /// Registers a chain source for `schemes` ("" for a file path).
    public mutating func register(chains schemes: [String], _ factory: @escaping ChainFactory) {
        for scheme in schemes { chains[scheme] = factory }
    }

    /// Only the chain snapshot file, which needs no database library.
    public static let builtIn = SourceRegistry(chains: ["": { path throws(SourceError) in ChainSnapshotFile(path: path) }])

    public func appDatabase(_ location: String) throws(SourceError) -> any AppDatabaseSource {
        let (scheme, rest) = Location.split(location)
        guard let factory = databases[scheme] else {
            throw SourceError(.unsupported, at: "--db", "\(Location.describe(scheme)) databases are not supported; give \(Location.supported(databases.keys))")
        }
        return try factory(rest)
    }

    /// The chain when none is named: the rules' deployments when they list some (and a module
    /// reads them), else the chain at `location` (the demo's snapshot).
    public func defaultChain(_ location: String) throws(SourceError) -> any ChainSource {
        let fallback = try chain(location)
        guard let deployments else { return fallback }
        return RulesChosenChain(deployments: deployments(), fallback: fallback)
    }

    public func chain(_ location: String) throws(SourceError) -> any ChainSource {
        let (scheme, rest) = Location.split(location)
        guard let factory = chains[scheme] else {
            throw SourceError(.unsupported, at: "--chain", "\(Location.describe(scheme)) chain sources are not supported; give \(Location.supported(chains.keys, file: "a chain snapshot file path"))")
        }
        return try factory(rest)
    }
}

/// Where a source or store is: a file path or a URL.
public enum Location {
    /// The scheme of `location` ("" for a path) and what its factory is given: the path without a
    /// `sqlite:`/`file:` prefix, or the whole URL.
    public static func split(_ location: String) -> (scheme: String, rest: String) {
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

    public static func describe(_ scheme: String) -> String {
        scheme.isEmpty ? "file" : "'\(scheme)://'"
    }

    /// "an SQLite file path or a postgres:// URL", from the registered schemes.
    public static func supported(_ schemes: some Collection<String>, file: String = "an SQLite file path") -> String {
        let urls = schemes.filter { !$0.isEmpty }.sorted().map { "a \($0):// URL" }
        return ((schemes.contains("") ? [file] : []) + urls).joined(separator: " or ")
    }
}

/// The chain the rules choose: their deployments when they list some (`evm.deployments`), else `fallback`.
struct RulesChosenChain: ChainSource {
    let deployments: any ChainSource
    let fallback: any ChainSource

    var displayName: String { fallback.displayName }

    private func chosen(_ query: SourceQuery) -> any ChainSource {
        query.evm?.deployments.isEmpty == false ? deployments : fallback
    }

    func check(_ query: SourceQuery) throws(SourceError) {
        try chosen(query).check(query)
    }

    func open(_ query: SourceQuery) async throws(SourceError) -> any ChainView {
        try await chosen(query).open(query)
    }
}
