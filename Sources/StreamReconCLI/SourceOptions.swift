import ArgumentParser
import ReconSources
import Reconciliation

/// The rules and data sources `run` and `serve` share.
struct SourceOptions: ParsableArguments {
    @Option(help: "The rules file (serve reads it again for every run).")
    var rules = "Rules/streams.yaml"

    @Option(help: "The app database: an SQLite file path or a postgres://USER@HOST:PORT/DB URL (docs/operations.md, \"PostgreSQL\"). Default: the demo DB.")
    var db: String?

    @Option(help: "Where runs are recorded: an SQLite file (created if absent) or a postgres:// URL. Default: the --db database.")
    var store: String?

    @Option(help: "The chain: a chain snapshot file (JSON), or an http(s) JSON-RPC node URL for rules with an 'evm' section. Default: for rules with 'evm.deployments', each deployment's node (its URL in the environment variable its 'rpc' names); else the demo snapshot.")
    var chain: String?

    @Option(help: "An acks file: known discrepancies, each with an owner, a reason and an expiry date (serve reads it again for every run).")
    var acks: String?

    @Option(help: "DB rows read per page, 1 to \(SourceQuery.maximumBatchSize).")
    var batchSize = SourceQuery.defaultBatchSize

    /// Where runs are recorded: `--store`, else the app database `database`. A `--store` file
    /// that does not exist yet is created; the app database never is.
    func runStore(database: String, options: RunStoreOptions = RunStoreOptions()) throws(SourceError) -> any RunStore {
        try StreamRecon.assembly.stores.store(store, defaultingTo: database, options: options)
    }

    func validate() throws {
        guard (1...SourceQuery.maximumBatchSize).contains(batchSize) else {
            throw ValidationError("--batch-size must be a whole number from 1 to \(SourceQuery.maximumBatchSize)")
        }
    }
}
