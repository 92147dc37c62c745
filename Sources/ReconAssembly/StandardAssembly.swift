import ReconPostgres
import ReconRPC
import ReconSQLite
import Reconciliation

extension Assembly {
    /// Everything this build offers: the built-in plugins, report formats and chain snapshot
    /// files, SQLite and PostgreSQL as app databases and run stores, and JSON-RPC nodes.
    public static let standard: Assembly = {
        var assembly = Assembly()
        SQLiteSupport.register(in: &assembly)
        PostgresSupport.register(in: &assembly)
        JSONRPCSupport.register(in: &assembly.sources)
        return assembly
    }()
}
