import ReconEngine
import ReconSources

/// `rules diff`: two versions of a rules file applied to the same data (one read of each source,
/// both rule sets applied to every pair), and the discrepancies only one of them finds.
public struct RulesDiff: Sendable {
    public let old: CompiledRuleSet
    public let new: CompiledRuleSet

    /// Why two rule sets cannot share one read of the sources.
    public struct Incompatible: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public struct Outcome: Sendable {
        /// Discrepancies only OLD finds, and only NEW finds, in report order.
        public var removed: [Finding]
        public var added: [Finding]
        public var streamsChecked: Int
        public var chainBlock: UInt64?
        /// Findings of streams whose records could not be read: the same for both, left out of the comparison.
        public var sourceErrors: [Finding]
        public var isSame: Bool { removed.isEmpty && added.isEmpty }
    }

    /// Throws `Incompatible` unless both read the same table, key and chain binding.
    public init(old: CompiledRuleSet, new: CompiledRuleSet) throws(Incompatible) {
        func check(_ what: String, _ a: String?, _ b: String?) throws(Incompatible) {
            guard a == b else { throw Incompatible(description: "OLD and NEW read different \(what) (\(a ?? "none") and \(b ?? "none")); a diff replays both over one read of the same data") }
        }
        try check("tables", old.table, new.table)
        try check("schemas", old.schema, new.schema)
        try check("key columns", old.keyColumn, new.keyColumn)
        try check("on-chain keys", old.keyChainField, new.keyChainField)
        try check("contracts", old.evm.map(Self.contracts), new.evm.map(Self.contracts))
        self.old = old
        self.new = new
    }

    /// The contract, or each deployment's chain and contract.
    private static func contracts(_ evm: EVMBinding) -> String {
        evm.deployments.isEmpty ? "\(evm.contract)" : evm.deployments.map { "\($0.chainId):\($0.contract)" }.joined(separator: ", ")
    }

    /// The union of what both read: NEW's columns and fields first, in NEW's order (so NEW's
    /// slots are the query's), then OLD's others.
    func query(batchSize: Int) -> (query: SourceQuery, oldColumns: [Int], oldFields: [Int]) {
        var query = SourceQuery(ruleSet: new, batchSize: batchSize)
        for column in old.dbColumns where !query.columns.contains(column) {
            query.columns.append(column)
        }
        // A chain field is the same only with the same view call (EVM rules name fields after views).
        func index(of field: CompiledRuleSet.Field) -> Int? {
            query.fields.indices.first { query.fields[$0] == field.chainField && query.views[$0] == field.view }
        }
        for field in old.fields where index(of: field) == nil {
            query.fields.append(field.chainField)
            query.views.append(field.view)
        }
        return (query, old.dbColumns.map { query.columns.firstIndex(of: $0)! }, old.fields.map { index(of: $0)! })
    }

    /// Findings OLD produced during a pass; one pass is sequential, so no lock is needed.
    private final class Collected: @unchecked Sendable {
        var findings: [Finding] = []
    }

    public func compare(db: any AppDatabaseSource, chain: any ChainSource, batchSize: Int = SourceQuery.defaultBatchSize) async throws(Reconciler.Stopped) -> Outcome {
        let (query, oldColumns, oldFields) = query(batchSize: batchSize)
        let (old, new) = (old, new)
        let newCount = new.fields.count
        // OLD reads exactly the query's values (the same columns and fields in the same order): no copy.
        let oldCount = old.fields.count
        let identity = oldColumns == Array(0..<oldCount) && oldFields == Array(0..<oldCount) && query.columns.count == oldCount
            && query.fields.count == oldCount
        let collected = Collected()
        let reconciler = Reconciler(tally: new, query: query) { key, db, chain, findings in
            // NEW's values are the first of each row; OLD's are picked out unless it reads the same.
            let newDB = db.map { $0.count == newCount ? $0 : Array($0.prefix(newCount)) }
            let newChain = chain.map { $0.count == newCount ? $0 : Array($0.prefix(newCount)) }
            new.reconcile(streamId: key, db: newDB, chain: newChain, into: &findings)
            if identity {
                old.reconcile(streamId: key, db: db, chain: chain, into: &collected.findings)
            } else {
                old.reconcile(streamId: key, db: db.map { row in oldColumns.map { row[$0] } }, chain: chain.map { record in oldFields.map { record[$0] } },
                              into: &collected.findings)
            }
        }
        let outcome = try await reconciler.reconcile(db: db, chain: chain)
        // A stream whose records could not be read is compared by neither.
        let unreadable = Set(outcome.findings.filter { $0.kind == .sourceError }.map(\.streamId))
        let newFindings = outcome.findings.filter { !unreadable.contains($0.streamId) }
        let oldFindings = collected.findings.filter { !unreadable.contains($0.streamId) }
        return Outcome(removed: Self.subtract(newFindings, from: oldFindings), added: Self.subtract(oldFindings, from: newFindings),
                       streamsChecked: outcome.streamsChecked, chainBlock: outcome.chainBlock,
                       sourceErrors: outcome.findings.filter { $0.kind == .sourceError })
    }

    /// One discrepancy, as both versions would report it: the same stream, kind, field, side,
    /// rule, severity and values. Its wording (a message naming a moved bound) does not make it another.
    struct Identity: Hashable {
        var streamId: String, kind: FindingKind, field: String?, side: Side?, rule: String, severity: Severity
        var dbValue: String?, onChainValue: String?, values: [String: String]?
        init(_ finding: Finding) {
            (streamId, kind, field, side, rule, severity) = (finding.streamId, finding.kind, finding.field, finding.side, finding.rule, finding.severity)
            (dbValue, onChainValue, values) = (finding.dbValue, finding.onChainValue, finding.values)
        }
    }

    /// `findings` less those in `other` (as a multiset), in report order.
    static func subtract(_ other: [Finding], from findings: [Finding]) -> [Finding] {
        var counts: [Identity: Int] = [:]
        for finding in other { counts[Identity(finding), default: 0] += 1 }
        var result: [Finding] = []
        for finding in findings {
            let identity = Identity(finding)
            if let count = counts[identity], count > 0 { counts[identity] = count - 1 } else { result.append(finding) }
        }
        return result.sorted(by: Finding.reportOrder)
    }
}
