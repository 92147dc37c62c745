import ArgumentParser

/// The rules and data sources `run` and `serve` share.
struct SourceOptions: ParsableArguments {
    @Option(help: "The rules file (serve reads it again for every run).")
    var rules = "Rules/streams.yaml"

    @Option(help: "The app database: an SQLite file path. Default: the demo DB.")
    var db: String?

    @Option(help: "The chain: a chain snapshot file (JSON), or an http(s) JSON-RPC node URL for rules with an 'evm' section. Default: the demo snapshot.")
    var chain: String?

    @Option(help: "DB rows read per page.")
    var batchSize = 1000

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be a positive number") }
    }
}
