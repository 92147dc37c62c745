import ReconSources
import Reconciliation

/// SQLite as a source and a run store: a location with no scheme, or `sqlite:`/`file:`.
public enum SQLiteSupport {
    public static func register(in assembly: inout Assembly) {
        assembly.sources.register(databases: [""], database)
        assembly.stores.register([""], store)
    }

    @Sendable static func database(_ path: String) throws(SourceError) -> any AppDatabaseSource {
        SQLiteAppDatabase(path: path)
    }

    @Sendable static func store(_ path: String, _ options: RunStoreOptions) throws(SourceError) -> any RunStore {
        SQLiteRunStore(path: path, options: options)
    }
}
