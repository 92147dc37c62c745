import ArgumentParser
import ReconSources

/// The rules and data sources `run` and `serve` share.
struct SourceOptions: ParsableArguments {
    @Option(help: "The rules file (serve reads it again for every run).")
    var rules = "Rules/streams.yaml"

    @Option(help: "The app database: an SQLite file path. Default: the demo DB.")
    var db: String?

    @Option(help: "The chain: a chain snapshot file (JSON), or an http(s) JSON-RPC node URL for rules with an 'evm' section. Default: the demo snapshot.")
    var chain: String?

    @Option(help: "DB rows read per page, 1 to \(SourceQuery.maximumBatchSize).")
    var batchSize = 1000

    func validate() throws {
        guard (1...SourceQuery.maximumBatchSize).contains(batchSize) else {
            throw ValidationError("--batch-size must be a whole number from 1 to \(SourceQuery.maximumBatchSize)")
        }
    }
}
