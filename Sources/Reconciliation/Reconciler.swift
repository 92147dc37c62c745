import ReconEngine
import ReconSources

/// Pairs DB rows with on-chain records by key, across both sides, and applies the compiled
/// rule set to each pair. The DB side is read a page at a time, so memory on that side is
/// bounded by the page size.
public struct Reconciler: Sendable {
    /// Applies rules to one stream's DB row and on-chain record (either may be absent), in the
    /// query's column and field order, appending findings.
    public typealias Apply = @Sendable (_ key: String, _ db: [RawValue]?, _ chain: [RawValue]?, _ findings: inout [Finding]) -> Void

    /// The rule set the report's tally of statuses reads.
    public let ruleSet: CompiledRuleSet
    public let batchSize: Int
    /// What the sources read: the rule set's columns and fields, or (for `rules diff`) a union.
    private(set) var query: SourceQuery
    let apply: Apply
    /// Marks each finding as it is found, before `onFinding` sees it (a run's fingerprints,
    /// statuses and acknowledgements: `DriftTracker.track`).
    public typealias Track = @Sendable (inout Finding) -> Void
    /// Gives `Track`. It is called while the sources open (a run reads its previous run then, off
    /// the snapshot load's path), and the first pair waits for it; an error from it ends the pass.
    public var tracking: (@Sendable () async throws(SourceError) -> Track)?
    /// The part of the keys this run checks (`--shard I/N`); nil: every key. Rows of other shards
    /// are skipped before they are looked up on chain, and the chain view skips their records.
    public var shard: Shard? {
        get { query.shard }
        set { query.shard = newValue }
    }
    /// Set for an incremental run: only changed, carried and sampled streams are checked.
    public var incremental: IncrementalPlan?

    /// `batchSize` is clamped to 1 through `SourceQuery.maximumBatchSize`.
    public init(ruleSet: CompiledRuleSet, batchSize: Int = SourceQuery.defaultBatchSize) {
        self.ruleSet = ruleSet
        self.batchSize = SourceQuery.clamped(batchSize)
        query = SourceQuery(ruleSet: ruleSet, batchSize: batchSize)
        apply = { key, db, chain, findings in ruleSet.reconcile(streamId: key, db: db, chain: chain, into: &findings) }
    }

    /// Reads `query` and hands every pair to `apply` (`rules diff` applies two rule sets to one read).
    /// `tally` counts statuses; it must read the query's order of values.
    init(tally ruleSet: CompiledRuleSet, query: SourceQuery, apply: @escaping Apply) {
        self.ruleSet = ruleSet
        batchSize = query.batchSize
        self.query = query
        self.apply = apply
    }

    /// What one reconciliation found.
    public struct Outcome: Sendable {
        /// Every finding, in report order (docs/rules.md, "Findings").
        public var findings: [Finding]
        public var streamsChecked: Int
        public var streamsByStatus: [String: Int]
        public var chainBlock: UInt64?
        public var chainBlockHash: String?
        /// With several deployments: each one's pin (or why it could not be read); empty otherwise.
        public var deployments: [DeploymentPin] = []
        /// What an incremental run covered; nil for a full run that was asked for as one.
        public var coverage: Coverage?
        /// The streams an incremental run checked; nil for a full run (every stream).
        public var checkedKeys: Set<String>?
    }

    /// A reconciliation that a source failure or a stop ended early: what was found until then.
    public struct Stopped: Error, Sendable {
        public var error: SourceError
        /// The findings so far (in report order), the streams checked so far, and the block the
        /// chain was pinned at if it was.
        public var partial: Outcome
    }

    /// What a pass has found so far; its outcome is sorted in report order.
    private struct Progress {
        var tally: Tally
        var findings: [Finding] = []
        var block: UInt64?
        var blockHash: String?
        var deployments: [DeploymentPin] = []
        var coverage: Coverage?
        var checkedKeys: Set<String>?

        var outcome: Outcome {
            let order = findings.indicesInReportOrder(streamId: \.streamId, Finding.reportOrder)
            return Outcome(findings: order.map { findings[$0] }, streamsChecked: tally.streams, streamsByStatus: tally.byStatus,
                           chainBlock: block, chainBlockHash: blockHash, deployments: deployments, coverage: coverage, checkedKeys: checkedKeys)
        }
    }

    /// Reconciles every stream on either side; `onPinned` learns the chain's block once it is
    /// pinned, and `onFinding` sees each finding as it is found. A source failure or a stop
    /// (the task cancelled) throws `Stopped` with what was found until then.
    public func reconcile(
        db: any AppDatabaseSource, chain: any ChainSource, onFinding: (Finding) -> Void = { _ in }, onPinned: (UInt64?) -> Void = { _ in }
    ) async throws(Stopped) -> Outcome {
        var progress = Progress(tally: Tally(ruleSet: ruleSet))
        do {
            try await pass(db: db, chain: chain, progress: &progress, onFinding: onFinding, onPinned: onPinned)
        } catch {
            progress.block = progress.block ?? error.chainBlock
            throw Stopped(error: error, partial: progress.outcome)
        }
        return progress.outcome
    }

    private func pass(
        db: any AppDatabaseSource, chain: any ChainSource, progress: inout Progress, onFinding: (Finding) -> Void, onPinned: (UInt64?) -> Void
    ) async throws(SourceError) {
        // An incremental run reads each row's `updated_at` after its mapped columns.
        var query = query
        if let incremental {
            query.changesSince = incremental.window
            query.columns.append(incremental.updatedAtColumn)
        }
        let shard = query.shard
        // The DB's checks (a duplicate-key scan of the whole table) run while the snapshot loads;
        // a chain error still comes first.
        async let opening = Self.open(db, query)
        async let prepared = Self.prepare(tracking)
        let view = try await chain.open(query)
        progress.block = view.block
        progress.blockHash = view.blockHash
        progress.deployments = view.deployments
        onPinned(view.block) // known even if the run fails later
        let pages = try await opening.get()
        let track = try await prepared.get()
        // The rows an incremental run checks; nil: every row.
        let selection: RowSelection?
        if let incremental {
            // Rows without a key: every row is read, so they are reported again (by the first shard, in a shard run).
            progress.checkedKeys = shard?.reportsUnkeyedRows == false ? [] : [""]
            switch view.scope {
            case .changed(let changes):
                selection = RowSelection(plan: incremental, changes: changes)
                progress.coverage = Coverage(mode: "incremental", fromBlock: changes.fromBlock, toBlock: changes.toBlock, logs: changes.logs)
            case .everything(let reason):
                selection = nil
                progress.coverage = Coverage(mode: "full", reason: reason ?? "\(chain.displayName) has no events to find changes by (a snapshot file): every stream is read")
            }
        } else {
            selection = nil
        }
        func emit(from start: Int, _ findings: inout [Finding]) {
            for index in start..<findings.count {
                track?(&findings[index])
                onFinding(findings[index])
            }
        }
        let dbDuplicates = Dictionary(pages.duplicateKeys.filter { shard?.contains($0.key) ?? true }.map { ($0.key, $0.count) },
                                      uniquingKeysWith: { first, _ in first })
        var duplicatesSeen = Set<String>()
        /// A page of DB rows (of this run's shard) with their on-chain records, and how many rows
        /// (of the shard) were read. An incremental run keeps the rows it checks, with why, from as
        /// many pages as it takes to fill a page, so that their chain reads go out in full batches
        /// (a page holds about 1 % of them).
        @Sendable func fetch() async throws(SourceError) -> (rows: [SourceRecord], lookups: [ChainLookup], reasons: [RowSelection.Reason], read: Int)? {
            var rows: [SourceRecord] = []
            var reasons: [RowSelection.Reason] = []
            var read = 0
            var pagesRead = 0
            repeat {
                guard var page = try await pages.next() else { break }
                pagesRead += 1
                if let shard { page.removeAll { !shard.contains($0.key) } }
                read += page.count
                guard let selection else {
                    rows = page
                    break
                }
                for row in page {
                    guard let reason = selection.reason(row) else { continue }
                    rows.append(row)
                    reasons.append(reason)
                }
                try SourceError.checkStopped(at: db.displayName)
            } while rows.count < batchSize
            guard pagesRead > 0 else { return nil }
            // An incremental run's rows end with their `updated_at`, which no rule reads.
            if incremental != nil {
                for index in rows.indices { rows[index].values.removeLast() }
            }
            return (rows, rows.isEmpty ? [] : try await view.records(for: rows.map(\.key)), reasons, read)
        }
        var next = try await fetch()
        while let (rows, lookups, reasons, read) = next {
            progress.coverage?.dbRows += read
            for reason in reasons { RowSelection.count(reason, in: &progress.coverage!) }
            try SourceError.checkStopped(at: db.displayName)
            // Read the next page and its chain records while this one is reconciled.
            async let upcoming = fetch()
            for (row, lookup) in zip(rows, lookups) {
                // The second row of a duplicated key is skipped (and reported below).
                if !dbDuplicates.isEmpty, dbDuplicates[row.key] != nil, !duplicatesSeen.insert(row.key).inserted { continue }
                let start = progress.findings.count
                switch lookup {
                case .alreadySeen:
                    continue // the same stream read again: the app rewrote its row while the run read the table
                case .record(let chainValues):
                    apply(row.key, row.values, chainValues, &progress.findings)
                case .missing:
                    apply(row.key, row.values, nil, &progress.findings)
                case .failed(let reason):
                    var dbSide: [Finding] = []
                    apply(row.key, row.values, nil, &dbSide)
                    progress.findings += dbSide.filter { $0.kind != .missingOnChain }
                    progress.findings.append(Finding(streamId: row.key, kind: .sourceError, rule: "key", severity: .critical,
                                                     message: "on-chain record of stream '\(row.key)' could not be read: \(reason)"))
                }
                progress.tally.count(db: row.values, chain: lookup)
                progress.checkedKeys?.insert(row.key)
                emit(from: start, &progress.findings)
            }
            do {
                next = try await upcoming
            } catch let error as SourceError {
                throw error
            } catch {
                throw SourceError(.unreadable, at: db.displayName, "\(error)")
            }
        }
        while case let records = try await view.unvisited(limit: batchSize), !records.isEmpty {
            try SourceError.checkStopped(at: chain.displayName)
            for record in records where shard?.contains(record.key) ?? true {
                let start = progress.findings.count
                apply(record.key, nil, record.values, &progress.findings)
                progress.tally.count(db: nil, chain: .record(record.values))
                progress.checkedKeys?.insert(record.key)
                if let selection {
                    // On chain only: named by an event, or a carried discrepancy (missing in the DB).
                    RowSelection.count(selection.changes.keys.contains(record.key) ? .chain : .carried, in: &progress.coverage!)
                }
                emit(from: start, &progress.findings)
            }
        }
        let start = progress.findings.count
        // Rows without a key belong to no shard: the first one reports them.
        for row in shard?.reportsUnkeyedRows == false ? [] : pages.skippedRows {
            progress.findings.append(Finding(streamId: "", kind: .sourceError, rule: "key", severity: .critical,
                                             message: "\(row); it was not reconciled"))
        }
        for (key, count) in dbDuplicates.sorted(by: { $0.key < $1.key }) {
            progress.findings.append(duplicate(key, count: count, side: "DB rows"))
        }
        for (key, reason) in view.unreadableKeys where shard?.contains(key) ?? true {
            progress.findings.append(Finding(streamId: key, kind: .sourceError, rule: "key", severity: .critical,
                                             message: "on-chain record of stream '\(key)' could not be read: \(reason)"))
        }
        for (key, count) in view.duplicateKeys where shard?.contains(key) ?? true {
            progress.findings.append(duplicate(key, count: count, side: "on-chain records"))
        }
        // Every read was at the pinned block: if it is no longer the canonical one, they are not one state.
        if let problem = await view.confirmPinned() {
            progress.findings.append(Finding(streamId: "", kind: .sourceError, rule: "chain", severity: .critical, message: problem))
        }
        progress.deployments = view.deployments
        emit(from: start, &progress.findings)
        // A stop during the last page or the last findings (a report write that failed) is a stop all the same.
        try SourceError.checkStopped(at: chain.displayName)
    }

    private static func prepare(_ tracking: (@Sendable () async throws(SourceError) -> Track)?) async -> Result<Track?, SourceError> {
        guard let tracking else { return .success(nil) }
        do {
            return .success(try await tracking())
        } catch {
            return .failure(error)
        }
    }

    private static func open(_ db: any AppDatabaseSource, _ query: SourceQuery) async -> Result<any RecordPages, SourceError> {
        do {
            return .success(try await db.open(query))
        } catch {
            return .failure(error)
        }
    }

    private func duplicate(_ key: String, count: Int, side: String) -> Finding {
        Finding(streamId: key, kind: .sourceError, rule: "key", severity: .critical,
                message: "key '\(key)' appears in \(count) \(side); only the first was reconciled")
    }
}

/// Counts streams, and streams by the value of the field named `status` (DB side, else chain).
struct Tally {
    private(set) var streams = 0
    private let status: (slot: Int, field: CompiledRuleSet.Field)?
    /// The few distinct raw statuses seen, with their labels and counts: parsing each row's
    /// status again, and hashing its label into a dictionary, showed in profiles.
    private var labels: [(side: Side, raw: RawValue, label: String, count: Int)] = []
    /// Counts of statuses beyond the first 64 distinct ones, and of invalid ones.
    private var others: [String: Int] = [:]

    init(ruleSet: CompiledRuleSet) {
        status = ruleSet.fields.firstIndex { $0.name == "status" }.map { ($0, ruleSet.fields[$0]) }
    }

    var byStatus: [String: Int] {
        var result = others
        for entry in labels where entry.count > 0 { result[entry.label, default: 0] += entry.count }
        return result
    }

    /// A raw status as a label: the index of its cached entry, or its text when the cache is full.
    private enum Label {
        case cached(Int)
        case text(String)
    }

    private mutating func label(_ side: Side, _ raw: RawValue) -> Label? {
        if let index = labels.firstIndex(where: { $0.side == side && $0.raw == raw }) { return .cached(index) }
        guard let field = status?.field else { return nil }
        let parsed = side == .db ? field.parseDB(raw) : field.parseChain(raw)
        guard case .success(let value) = parsed else { return nil }
        let text = field.display(value) ?? "null"

        guard labels.count < 64 else { return .text(text) }
        labels.append((side, raw, text, 0))
        return .cached(labels.count - 1)
    }

    mutating func count(db: [RawValue]?, chain: ChainLookup) {
        streams += 1
        // Only the slot is copied out: copying the field retains all its closures and texts.
        guard let slot = status?.slot else { return }
        var found = db.flatMap { label(.db, $0[slot]) }
        if found == nil, case .record(let values) = chain { found = label(.chain, values[slot]) }
        switch found {
        case .cached(let index)?: labels[index].count += 1
        case .text(let text)?: others[text, default: 0] += 1
        case nil: others["invalid", default: 0] += 1
        }
    }
}
