import EVMRigSupport
import Foundation
import ReconEngine
import ReconRPC
import ReconSources
import ReconSQLite
import Reconciliation

/// A scratch directory with the demo app DB, removed when released.
final class DemoDirectory {
    let url: URL
    let dbPath: String

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("streamrecon-rpc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        dbPath = url.appendingPathComponent("app.sqlite").path
        try DemoData(root: EVMRig.repositoryRoot).prepareDatabase(at: dbPath)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Reconciles the demo DB against `rig` through the JSON-RPC source.
func reconcileDemo(_ rig: EVMRig, policy: RPCPolicy = RPCPolicy(), directory: DemoDirectory) async throws
    -> (outcome: Result<Reconciler.Outcome, SourceError>, source: EVMChainSource) {
    let ruleSet = try RulesCompiler().load(path: try rig.demoRules(in: directory.url))
    let source = EVMChainSource(endpoint: RPCEndpoint(rig.url)!, policy: policy)
    do {
        return (.success(try await Reconciler(ruleSet: ruleSet).reconcile(db: SQLiteAppDatabase(path: directory.dbPath), chain: source)), source)
    } catch {
        return (.failure(error.error), source)
    }
}

/// `stream kind field/side`, one per finding.
func summary(_ findings: [Finding]) -> [String] {
    findings.map { "\($0.streamId) \($0.kind.rawValue) \($0.field ?? $0.side?.rawValue ?? "-")" }
}

let demoDrift = [
    "stream_2 mismatch released_amount", "stream_4 missing_on_chain -", "stream_5 missing_in_db -",
    "stream_6 invariant_violation chain", "stream_6 invariant_violation db", "stream_7 invalid_value total_amount",
]
