import ReconSources
import Reconciliation

/// PostgreSQL as a source and a run store: `postgres://` or `postgresql://` locations.
public enum PostgresSupport {
    public static func register(in assembly: inout Assembly) {
        assembly.sources.register(databases: ["postgres", "postgresql"], database)
        assembly.stores.register(["postgres", "postgresql"], store)
    }

    @Sendable static func database(_ url: String) throws(SourceError) -> any AppDatabaseSource {
        PostgresAppDatabase(location: try PostgresLocation(url, option: "--db"))
    }

    @Sendable static func store(_ url: String, _ options: RunStoreOptions) throws(SourceError) -> any RunStore {
        PostgresRunStore(location: try PostgresLocation(url, option: "--store"), options: options)
    }
}
