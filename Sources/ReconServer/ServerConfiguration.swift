import ReconSources
import Reconciliation

/// What `streamrecon serve` serves: where it listens, the same sources and rules as `run`,
/// and the tokens it accepts.
public struct ServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port; the server reports the one it bound.
    public var port: Int
    public var rulesPath: String
    /// The app database, as for `run --db`.
    public var database: String
    /// Where runs are recorded, as for `run --store`; nil: the app database.
    public var store: String?
    /// The chain, as for `run --chain`.
    public var chain: String
    /// No `--chain` was given: rules with `evm.deployments` read their deployments, others `chain`.
    public var chainFromRules = false
    public var batchSize: Int
    public var tokens: ServiceTokens
    /// How long a shutdown waits for a run in progress before it stops the run and records it `aborted`.
    public var shutdownGrace: Duration
    /// How long a connection may sit idle, or take to send a request's headers, before it is
    /// closed; a client waiting for a run's answer is never cut.
    public var idleTimeout: Duration
    /// Request bodies over this many bytes get 413.
    public var maxBodyBytes: Int
    /// The plugins, sources, stores and formats the server offers.
    public var assembly: Assembly
    /// The acks file, read again for every run, as for `run --acks`.
    public var acksPath: String?
    /// Where and when runs alert, as for `run --alert-url`; nil: never.
    public var alerting: RunService.Alerting?

    /// The run store: `store`, else the app database.
    public func runStore(options: RunStoreOptions = RunStoreOptions()) throws(SourceError) -> any RunStore {
        try assembly.stores.store(store, defaultingTo: database, options: options)
    }

    /// The run store's location, safe to show.
    public var storeDisplayName: String { (try? runStore().displayName) ?? "the run store" }

    public init(host: String = "127.0.0.1", port: Int = 8080, rulesPath: String, database: String, store: String? = nil, chain: String,
                batchSize: Int = SourceQuery.defaultBatchSize, tokens: ServiceTokens, shutdownGrace: Duration = .seconds(30), idleTimeout: Duration = .seconds(30),
                maxBodyBytes: Int = 64 * 1024, assembly: Assembly) {
        self.host = host
        self.port = port
        self.rulesPath = rulesPath
        self.database = database
        self.store = store
        self.chain = chain
        self.batchSize = batchSize
        self.tokens = tokens
        self.shutdownGrace = shutdownGrace
        self.idleTimeout = idleTimeout
        self.maxBodyBytes = maxBodyBytes
        self.assembly = assembly
    }
}
