import Crypto
import Foundation
import Logging
import ReconEngine
import ReconSources

/// One reconciliation run end to end: compile the rules, record the run as `running`,
/// reconcile, and complete the record with every discrepancy (nothing is written on a dry run).
public struct RunService: Sendable {
    public struct Request: Sendable {
        public var rulesPath: String
        public var db: any AppDatabaseSource
        public var chain: any ChainSource
        /// Where run records go; nil on a dry run.
        public var store: (any RunStore)?
        public var batchSize: Int
        /// The new run's id: a caller that must name the run before it ends (the HTTP server) chooses it.
        public var runId: String
        /// Where the run logs; every line carries `run_id`.
        public var logger: Logger?
        /// The acks file, read for this run (docs/operations.md, "Tonight's drift and yesterday's").
        public var acksPath: String?
        /// The run key: when the store has a run with it, no new run starts.
        public var runKey: String?
        /// The part of the keys to check (`--shard I/N`); nil: every key. A shard run's `runKey`
        /// is the stored one, `RunKey.stored(_:shard:)`.
        public var shard: Shard?
        /// Where a dry run reads the previous run from (a recorded run reads `store`); nil: none.
        public var history: (any RunStore)?
        /// Where and when the run alerts; nil: never.
        public var alerting: Alerting?
        /// Today (`YYYY-MM-DD`, UTC), for the acknowledgements' `expires`.
        public var today: String = AckLoader.today()
        /// Told once the run's record is complete, before its alert is sent (the CLI's signals
        /// then stop the alert, not the run).
        public var onRecorded: (@Sendable (RunReport) -> Void)?
        /// Check only what changed since the previous run (docs/operations.md, "Large deployments").
        public var incremental = false
        /// In an incremental run, the share of unchanged rows checked anyway, 0 to 100.
        public var samplePercent: Double = 0

        public init(rulesPath: String, db: any AppDatabaseSource, chain: any ChainSource, store: (any RunStore)?, batchSize: Int = SourceQuery.defaultBatchSize,
                    runId: String = RunService.newRunId(), logger: Logger? = nil) {
            self.rulesPath = rulesPath
            self.db = db
            self.chain = chain
            self.store = store
            self.batchSize = batchSize
            self.runId = runId
            self.logger = logger
        }
    }

    /// When a recorded run alerts: after it failed, or found new discrepancies no
    /// acknowledgement covers at or above `threshold`.
    public struct Alerting: Sendable {
        public var sender: any AlertSender
        public var threshold: Severity

        public init(sender: any AlertSender, threshold: Severity = .critical) {
            self.sender = sender
            self.threshold = threshold
        }
    }

    /// A run that could not start: its rules (or acks) do not compile, or the run store cannot be written.
    public enum StartError: Error, Sendable {
        case rules(RulesError)
        case store(SourceError)
        /// Another run holds the run store.
        case busy(RunInProgress)
        /// A source cannot serve these rules (a JSON-RPC node for rules without an `evm` section).
        case source(SourceError)
    }

    public let compiler: RulesCompiler

    public init(compiler: RulesCompiler = RulesCompiler()) {
        self.compiler = compiler
    }

    /// How long marking a run failed keeps trying while the store stays locked.
    public var failPatience: Duration = .seconds(120)
    /// How long a recorded run keeps trying to read the previous run before it fails.
    public var baselinePatience: Duration = .seconds(30)

    /// Completes the run's record; when that fails, marks it failed, saying why.
    private func record(_ report: RunReport, in store: any RunStore, logger: Logger?) async -> RunReport {
        var report = report
        do {
            try await store.complete(report)
            report.persisted = true
        } catch {
            report.status = .failed
            report.error = [report.error, "the run record could not be completed: \(error.description)"].compactMap { $0 }.joined(separator: "; ")
            logger?.error("the run record could not be completed; marking the run failed", metadata: ["error": .string(error.description)])
            // Never leave the row `running`: record at least that the run failed, and why.
            do {
                try await store.fail(runId: report.runId, finishedAt: report.finishedAt, error: report.error ?? "", patience: failPatience)
            } catch {
                logger?.critical("the run could not be marked failed; a later run will mark it aborted once its lease runs out",
                                 metadata: ["error": .string(error.description)])
            }
        }
        return report
    }

    /// Renews the run's lease every third of it until cancelled. A renewal that fails is logged
    /// and tried again at the next beat; the lease covers two missed beats.
    private static func heartbeat(_ store: any RunStore, runId: String, logger: Logger?) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: store.lease / 3)
                guard !Task.isCancelled else { return }
                do {
                    if try await !store.renew(runId: runId) {
                        logger?.error("the run's record is no longer running (a later run marked it aborted); its outcome will not be recorded")
                        return
                    }
                } catch {
                    logger?.warning("cannot renew the run's lease", metadata: ["error": .string("\(error)")])
                }
            }
        }
    }

    /// The answer to a run key already used: the stored report of the finished run, or `busy`
    /// while it runs.
    private func answer(runKey: String, used: RunRecord, store: any RunStore, logger: Logger?) async throws(StartError) -> RunReport {
        await store.release()
        guard used.status != .running else {
            throw .busy(RunInProgress(runId: used.id, startedAt: used.startedAt, owner: used.owner, store: store.displayName))
        }
        logger?.info("run key already used: answering with that run's report, starting no run",
                     metadata: ["run_key": .string(runKey), "keyed_run_id": .string(used.id)])
        do throws(SourceError) {
            guard let report = try await store.storedReport(id: used.id) else {
                throw SourceError(.notFound, at: store.displayName, "run \(used.id) of run key '\(runKey)' vanished while it was read")
            }
            return report
        } catch {
            throw .store(error)
        }
    }

    /// Sends the run's alert when one is due, and records how it went on the run's row. Never
    /// fails the run: a delivery that fails is logged and recorded.
    private func alert(_ report: RunReport, _ alerting: Alerting, store: any RunStore, logger: Logger?) async -> AlertDelivery? {
        guard let message = AlertMessage(report: report, threshold: alerting.threshold) else { return nil }
        logger?.info("sending the run's alert", metadata: ["destination": .string(alerting.sender.displayName),
                                                            "new": .stringConvertible(message.new.count)])
        let delivery = await alerting.sender.send(message.json)
        let level: Logger.Level = delivery.outcome == .delivered ? .info : .error
        logger?.log(level: level, "alert \(delivery.outcome.rawValue)", metadata: ["destination": .string(alerting.sender.displayName),
                                                                               "detail": .string(delivery.description)])
        // In a task of its own: a stopped run's outcome must still be written.
        let written = await Task { () async -> SourceError? in
            do throws(SourceError) {
                var delivered = report
                delivered.alert = delivery
                try await store.recordAlert(delivered)
                return nil
            } catch {
                return error
            }
        }.value
        if let written { logger?.error("cannot record the alert's outcome", metadata: ["error": .string(written.description)]) }
        return delivery
    }

    /// Why rules cannot serve an incremental run; nil when they can.
    static func incrementalProblem(_ ruleSet: CompiledRuleSet) -> String? {
        var missing: [String] = []
        if ruleSet.evm?.events.isEmpty ?? true { missing.append("'evm.events' (the contract's events that name a changed stream)") }
        if ruleSet.updatedAtColumn == nil { missing.append("'db.updated_at' (the column the app stamps when it changes a row)") }
        guard !missing.isEmpty else { return nil }
        return "--incremental needs \(missing.joined(separator: " and ")) in the rules; see docs/operations.md, \"Large deployments\""
    }

    struct FullRun: Error {
        var message: String
    }

    /// An incremental run's plan from the previous run, or why there can be none (the run is then full).
    static func plan(_ ruleSet: CompiledRuleSet, baseline: RunBaseline?, rulesSha256: String, samplePercent: Double) -> Result<IncrementalPlan, FullRun> {
        guard let column = ruleSet.updatedAtColumn else { return .failure(FullRun(message: "the rules have no 'db.updated_at'")) }
        guard let baseline else {
            return .failure(FullRun(message: "no previous completed run of rules '\(ruleSet.name)' is recorded to start from"))
        }
        guard baseline.rulesSha256 == nil || baseline.rulesSha256 == rulesSha256 else {
            return .failure(FullRun(message: "the previous run \(baseline.runId) used other rules (sha256 \(baseline.rulesSha256!.prefix(12))…): "
                + "changed rules can change any stream's findings"))
        }
        guard let block = baseline.chainBlock else {
            return .failure(FullRun(message: "the previous run \(baseline.runId) recorded no pinned block"))
        }
        guard let started = TimestampType.seconds(of: .text(baseline.startedAt)) else {
            return .failure(FullRun(message: "the previous run's start '\(baseline.startedAt)' is not a timestamp"))
        }
        let window = ChangeWindow(previousBlock: block, previousHash: baseline.chainBlockHash, carried: Set(baseline.entries.values.map(\.streamId)))
        return .success(IncrementalPlan(window: window, updatedAtColumn: column, updatedAfter: started - IncrementalPlan.skewSeconds,
                                        samplePercent: samplePercent))
    }

    /// The previous run. A recorded run that cannot read it (after trying for a while: the app
    /// may hold a long write) fails, and this is its only failure: recording every discrepancy as
    /// new would lose when each was first seen, and page for all of them. A dry run reads it from
    /// `history`, and one that cannot leaves every discrepancy `new`, saying so.
    private func previousRun(_ request: Request, rulesName: String, logger: Logger?) async -> Result<RunBaseline?, SourceError> {
        if let store = request.store {
            do {
                return .success(try await RetryUntil.done(within: baselinePatience) { () throws(SourceError) in
                    try await store.baseline(rulesName: rulesName, shard: request.shard)
                })
            } catch where Task.isCancelled {
                // Stopped while it read: the run stops at its first page, and is recorded aborted.
                return .success(nil)
            } catch {
                return .failure(error)
            }
        }
        guard let history = request.history else { return .success(nil) }
        do {
            return .success(try await history.baseline(rulesName: rulesName, shard: request.shard))
        } catch where Task.isCancelled {
            return .success(nil)
        } catch {
            logger?.warning("cannot read the previous run; every discrepancy counts as new", metadata: ["error": .string(error.description)])
            return .success(nil)
        }
    }

    /// Ends a recorded run that cannot read its previous run: marked failed, saying why.
    private func failForPreviousRun(_ error: SourceError, runId: String, store: (any RunStore)?, heartbeat: Task<Void, Never>?,
                                    logger: Logger?) async throws(StartError) -> Never {
        logger?.error("cannot read the previous run; the run fails", metadata: ["error": .string(error.description)])
        heartbeat?.cancel()
        await heartbeat?.value
        let reason = "cannot read the previous run to tell new discrepancies from persisting ones: \(error.description)"
        try? await store?.fail(runId: runId, finishedAt: RunReport.timestamp(Date()), error: reason, patience: failPatience)
        await store?.release()
        throw .store(error)
    }

    /// A fresh run id: a lowercase UUID.
    public static func newRunId() -> String { UUID().uuidString.lowercased() }

    /// Runs one reconciliation. Source failures do not throw: they make a `failed` report.
    /// A cancelled run stops between pages and ends `aborted`.
    public func run(_ request: Request, onFinding: (Finding) -> Void = { _ in }) async throws(StartError) -> RunReport {
        let runId = request.runId
        var logger = request.logger
        logger?[metadataKey: "run_id"] = .string(runId)
        let compiled = compiler.compile(path: request.rulesPath)
        guard let ruleSet = compiled.ruleSet, let source = compiled.source else {
            logger?.error("rules do not compile", metadata: ["rules": .string(request.rulesPath),
                                                             "errors": .stringConvertible(compiled.diagnostics.count { $0.severity == .error })])
            throw .rules(RulesError(diagnostics: compiled.diagnostics))
        }
        do {
            try request.chain.check(SourceQuery(ruleSet: ruleSet, batchSize: request.batchSize))
        } catch {
            logger?.error("the chain source cannot serve these rules", metadata: ["error": .string(error.description)])
            throw .source(error)
        }
        if request.incremental, let deployments = ruleSet.evm?.deployments, !deployments.isEmpty {
            let problem = "--incremental does not read several deployments yet (each would need its own previous block); "
                + "run in full, or split the rules into one file per chain (docs/operations.md, \"Several deployments\")"
            logger?.error("the run cannot be incremental", metadata: ["error": .string(problem)])
            throw .source(SourceError(.unsupported, at: request.rulesPath, problem))
        }
        if request.incremental, let problem = Self.incrementalProblem(ruleSet) {
            logger?.error("the run cannot be incremental", metadata: ["error": .string(problem)])
            throw .source(SourceError(.unsupported, at: request.rulesPath, problem))
        }
        var acks: [Acknowledgement] = []
        if let acksPath = request.acksPath {
            let loaded = AckLoader().load(path: acksPath, ruleSets: [ruleSet], today: request.today)
            guard let loadedAcks = loaded.acks else {
                logger?.error("the acks file has errors", metadata: ["acks": .string(acksPath)])
                throw .rules(RulesError(diagnostics: loaded.diagnostics.filter { $0.severity == .error }))
            }
            // A shard run looks only for its own streams: another shard's acknowledgements are
            // neither stale nor expired here (that shard says so, once).
            acks = request.shard.map { shard in loadedAcks.filter { shard.owns($0.stream) } } ?? loadedAcks
        }
        let rules = RunReport.Rules(name: ruleSet.name, sha256: SHA256.hash(data: Data(source.utf8)).map { String(format: "%02x", $0) }.joined())
        let startedAt = RunReport.timestamp(Date())
        logger?.info("run started", metadata: ["rules": .string(rules.name), "dry_run": .stringConvertible(request.store == nil),
                                               "db": .string(request.db.displayName), "chain": .string(request.chain.displayName)])
        var heartbeat: Task<Void, Never>?
        if let store = request.store {
            do {
                let aborted = try await store.begin(RunRecord(id: runId, startedAt: startedAt, status: .running, dryRun: false,
                                                              rulesName: rules.name, rulesSha256: rules.sha256, runKey: request.runKey,
                                                              shard: request.shard))
                for id in aborted { logger?.warning("marked an interrupted run aborted", metadata: ["aborted_run_id": .string(id)]) }
                heartbeat = Self.heartbeat(store, runId: runId, logger: logger)
            } catch {
                if case .keyUsed = error {} else { logger?.error("cannot record the run", metadata: ["error": .string(error.description)]) }
                switch error {
                case .busy(let running): throw .busy(running)
                case .unavailable(let sourceError): throw .store(sourceError)
                case .keyUsed(let used):
                    var stored = try await answer(runKey: request.runKey ?? "", used: used, store: store, logger: logger)
                    // Lines of the rules file only while it is the one the run used: after an edit they have moved.
                    if stored.rules.sha256 == rules.sha256 { stored.ruleLocations = RuleLocations(ruleSet) }
                    return stored
                }
            }
        }
        // The previous run is read while the sources open (an incremental run needs it first: its
        // plan starts from it). Stopping the run stops the read.
        let previous = Task { [self, logger] in await previousRun(request, rulesName: rules.name, logger: logger) }
        @Sendable func readPrevious() async -> Result<RunBaseline?, SourceError> {
            await withTaskCancellationHandler { await previous.value } onCancel: { previous.cancel() }
        }
        let makeTracker = { @Sendable [acks] (baseline: RunBaseline?) in
            DriftTracker(rulesName: rules.name, runId: runId, startedAt: startedAt, baseline: baseline, acks: acks, today: request.today)
        }
        var report = RunReport(
            runId: runId, status: .running, dryRun: request.store == nil, persisted: false, startedAt: startedAt, finishedAt: startedAt,
            rules: rules, source: .init(chainBlock: nil),
            summary: .init(streamsChecked: 0, discrepancies: 0, byKind: [:], streamsByStatus: [:]), discrepancies: [], runKey: request.runKey
        )
        report.ruleLocations = RuleLocations(ruleSet)
        report.shard = request.shard
        var reconciler = Reconciler(ruleSet: ruleSet, batchSize: request.batchSize)
        reconciler.tracking = { () async throws(SourceError) -> Reconciler.Track in
            let tracker = makeTracker(try await previous.value.get())
            return { tracker.track(&$0) }
        }
        reconciler.shard = request.shard
        if request.incremental {
            let baseline: RunBaseline?
            switch await readPrevious() {
            case .success(let read): baseline = read
            case .failure(let error): try await failForPreviousRun(error, runId: runId, store: request.store, heartbeat: heartbeat, logger: logger)
            }
            switch Self.plan(ruleSet, baseline: baseline, rulesSha256: rules.sha256, samplePercent: request.samplePercent) {
            case .success(let plan):
                reconciler.incremental = plan
            case .failure(let reason):
                report.coverage = Coverage(mode: "full", reason: reason.message)
                logger?.warning("running in full", metadata: ["reason": .string(reason.message)])
            }
        }
        // A run that ends early (a source fails, or it is stopped) keeps what it found until
        // then: its report and its record hold the discrepancies found and the streams checked
        // so far, so nothing already printed is lost and the counts agree with the rows.
        let reconciled = await withTaskCancellationHandler { () async -> Result<Reconciler.Outcome, Reconciler.Stopped> in
            do throws(Reconciler.Stopped) {
                return .success(try await reconciler.reconcile(db: request.db, chain: request.chain, onFinding: onFinding))
            } catch {
                return .failure(error)
            }
        } onCancel: {
            previous.cancel()
        }
        let baseline: RunBaseline?
        switch await readPrevious() {
        case .success(let read): baseline = read
        case .failure(let error): try await failForPreviousRun(error, runId: runId, store: request.store, heartbeat: heartbeat, logger: logger)
        }
        let outcome: Reconciler.Outcome
        do throws(Reconciler.Stopped) {
            outcome = try reconciled.get()
            report.status = outcome.findings.contains { $0.kind == .sourceError } ? .failed : outcome.findings.isEmpty ? .clean : .drift
            if report.status == .failed { report.error = "some records could not be read; see the source_error discrepancies" }
        } catch {
            outcome = error.partial
            // A stop can surface as any read error (a cancelled HTTP request, say): it is still a stop.
            report.status = error.error.kind == .cancelled || Task.isCancelled ? .aborted : .failed
            report.error = error.error.description
            if outcome.streamsChecked > 0 || !outcome.findings.isEmpty {
                report.error! += " (stopped after \(outcome.streamsChecked) streams; the \(outcome.findings.count) discrepancies found until then are kept)"
            }
        }
        report.source.chainBlock = outcome.chainBlock
        report.source.chainBlockHash = outcome.chainBlockHash
        if !outcome.deployments.isEmpty { report.source.deployments = outcome.deployments }
        if var coverage = outcome.coverage {
            coverage.previousRunId = baseline?.runId
            report.coverage = coverage
            if coverage.mode == "full" { logger?.warning("running in full", metadata: ["reason": .string(coverage.reason ?? "")]) }
        }
        report.discrepancies = outcome.findings
        report.summary = .init(streamsChecked: outcome.streamsChecked, discrepancies: outcome.findings.count,
                               byKind: RunReport.byKind(outcome.findings), streamsByStatus: outcome.streamsByStatus)
        makeTracker(baseline).summarize(&report, rechecked: outcome.checkedKeys)
        report.finishedAt = RunReport.timestamp(Date())
        if let store = request.store {
            // Recorded in a task of its own, which a stopped (cancelled) run does not cancel:
            // the record of a stopped run must still be written, never left `running`.
            report = await Task { [report, self, logger] in await record(report, in: store, logger: logger) }.value
        }
        // Only now: completing the record may wait for a lock longer than the lease, and the row
        // must not look dead meanwhile.
        heartbeat?.cancel()
        await heartbeat?.value // a renewal in flight ends before the store lets go
        await request.store?.release()
        // A run whose record could not be completed was marked failed: that failure alerts too.
        if let store = request.store, report.persisted || report.status == .failed, let alerting = request.alerting {
            request.onRecorded?(report)
            report.alert = await alert(report, alerting, store: store, logger: logger)
        }
        let level: Logger.Level = report.status == .failed || report.status == .aborted ? .error : .info
        logger?.log(level: level, "run finished", metadata: [
            "status": .string(report.status.rawValue), "streams_checked": .stringConvertible(report.summary.streamsChecked),
            "discrepancies": .stringConvertible(report.summary.discrepancies), "persisted": .stringConvertible(report.persisted),
        ].merging(report.error.map { ["error": .string($0)] } ?? [:]) { $1 })
        return report
    }
}
