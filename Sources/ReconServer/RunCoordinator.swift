import Foundation
import Logging
import ReconEngine
import ReconSources
import Reconciliation

/// Runs reconciliations for the server, one at a time. The run itself is an unstructured task,
/// so that a client hanging up does not stop it; on shutdown the coordinator waits for it, and
/// past the grace period stops it and makes sure its record says `aborted`, never `running`.
public actor RunCoordinator {
    /// How a requested run ended.
    public enum Outcome: Sendable {
        case finished(RunReport)
        /// Another run is in progress, in this server or (holding the run store) elsewhere.
        case busy(RunInProgress)
        /// The rules file does not compile; nothing was run.
        case rulesInvalid(RulesError)
        /// A source or the run store could not be opened; nothing was run.
        case unavailable(String)
        /// The server is shutting down and starts no run.
        case shuttingDown
        /// The server shut down during the run and stopped it; `recorded` says whether its record
        /// now says `aborted` (false when the record could not be written, or the run ended meanwhile).
        case aborted(runId: String, recorded: Bool)
    }

    private struct Running {
        var id: String
        var task: Task<Void, Never>
        var dryRun: Bool
        var waiter: CheckedContinuation<Outcome, Never>?
    }

    private let configuration: ServerConfiguration
    private let metrics: ServerMetrics
    private let logger: Logger
    private var current: Running?
    private var accepting = true

    public init(configuration: ServerConfiguration, metrics: ServerMetrics, logger: Logger) {
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    /// The id of the run in progress, if any.
    public var runningId: String? { current?.id }

    /// Runs one reconciliation and returns how it ended, or `busy` at once while another runs.
    /// `runKey`: when the store has a run with it, no new run starts (its report is the answer).
    /// `shard`: the part of the keys to check; nil: every key.
    /// `incremental`: check only what changed since the previous run, and `samplePercent` of the rest.
    public func run(dryRun: Bool, runKey: String? = nil, shard: Shard? = nil, incremental: Bool = false, samplePercent: Double = 0,
                    logger requestLogger: Logger) async -> Outcome {
        // A retry of a finished run gets its report, whatever runs now (as `begin` answers).
        if accepting, current != nil, !dryRun, let runKey, let stored = await finishedRun(key: runKey) {
            metrics.notStarted("key_used")
            return .finished(stored)
        }
        // Read after the store was: the server may be stopping, or the run in progress may have finished, meanwhile.
        guard accepting else {
            metrics.notStarted("shutting_down")
            return .shuttingDown
        }
        if let current {
            metrics.notStarted("busy")
            return .busy(RunInProgress(runId: current.id, store: configuration.storeDisplayName))
        }
        let runId = RunService.newRunId()
        var logger = requestLogger
        logger[metadataKey: "run_id"] = .string(runId)
        let configuration = configuration
        let task = Task {
            let outcome = await Self.execute(runId: runId, dryRun: dryRun, runKey: runKey, shard: shard, incremental: incremental,
                                             samplePercent: samplePercent, configuration: configuration,
                                             metrics: metrics, logger: logger)
            self.finish(runId: runId, outcome)
        }
        current = Running(id: runId, task: task, dryRun: dryRun)
        metrics.running(true)
        return await withCheckedContinuation { current?.waiter = $0 }
    }

    /// The stored report of the finished run with run key `key` (as stored); nil when there is
    /// none, it is running or was interrupted, or the store cannot be read (the request is then
    /// answered busy, and its retry finds out).
    private func finishedRun(key: String) async -> RunReport? {
        guard let store = try? configuration.runStore(), let keyed = try? await store.keyedRun(key),
              keyed.status != .running, keyed.status != .aborted else { return nil }
        return try? await store.storedReport(id: keyed.id)
    }

    private func finish(runId: String, _ outcome: Outcome) {
        guard let running = current, running.id == runId else { return } // already given up on at shutdown
        current = nil
        metrics.running(false)
        running.waiter?.resume(returning: outcome)
    }

    private static func execute(runId: String, dryRun: Bool, runKey: String?, shard: Shard?, incremental: Bool, samplePercent: Double,
                                configuration: ServerConfiguration,
                                metrics: ServerMetrics, logger: Logger) async -> Outcome {
        let started = ContinuousClock.now
        let request: RunService.Request
        do {
            let db = try configuration.assembly.sources.appDatabase(configuration.database)
            let sources = configuration.assembly.sources
            let chain = try configuration.chainFromRules ? sources.defaultChain(configuration.chain) : sources.chain(configuration.chain)
            let store = dryRun ? nil : try configuration.runStore()
            var runRequest = RunService.Request(rulesPath: configuration.rulesPath, db: db, chain: chain, store: store,
                                                batchSize: configuration.batchSize, runId: runId, logger: logger)
            runRequest.acksPath = configuration.acksPath
            runRequest.runKey = runKey
            runRequest.shard = shard
            runRequest.incremental = incremental
            runRequest.samplePercent = samplePercent
            runRequest.alerting = configuration.alerting
            // A dry run reads the previous run from the store, if it can: never creating it.
            runRequest.history = dryRun ? try? configuration.assembly.stores.store(configuration.store ?? configuration.database) : nil
            request = runRequest
        } catch {
            logger.error("cannot open the sources", metadata: ["error": .string(error.description)])
            metrics.notStarted("unavailable")
            return .unavailable(error.description)
        }
        do {
            let report = try await RunService(compiler: configuration.assembly.compiler).run(request)
            guard report.runId == runId else {
                // The run key was used by a finished run: its stored report is the answer, and no run started.
                metrics.notStarted("key_used")
                return .finished(report)
            }
            metrics.record(report, duration: ContinuousClock.now - started, finishedAt: Date())
            return .finished(report)
        } catch {
            switch error {
            case .rules(let rulesError):
                metrics.notStarted("rules_invalid")
                return .rulesInvalid(rulesError)
            case .busy(let running):
                metrics.notStarted("busy")
                return .busy(running)
            case .store(let sourceError):
                metrics.notStarted("unavailable")
                return .unavailable("cannot record the run: \(sourceError)")
            case .source(let sourceError):
                metrics.notStarted("unavailable")
                return .unavailable(sourceError.description)
            }
        }
    }

    /// Stops taking runs; waits up to `grace` for the one in progress, then stops it, and if it
    /// still has not ended, records it `aborted` and answers its request.
    public func shutdown(grace: Duration, stopWait: Duration = .seconds(2)) async {
        accepting = false
        guard let running = current else { return }
        logger.notice("shutting down: waiting for the run in progress", metadata: [
            "run_id": .string(running.id), "grace_seconds": .stringConvertible(grace.components.seconds),
        ])
        if await waitForRun(running.id, upTo: grace) { return }
        logger.warning("the run did not finish in the grace period; stopping it", metadata: ["run_id": .string(running.id)])
        running.task.cancel()
        if await waitForRun(running.id, upTo: stopWait) { return }
        // The run is stuck (in a read that does not see cancellation). Take it out of `current`
        // before any await, so that if it ends after all, `finish` does not answer it a second time.
        current = nil
        metrics.running(false)
        logger.error("run aborted at shutdown", metadata: ["run_id": .string(running.id)])
        var recorded = running.dryRun // a dry run has no record to fix
        if !running.dryRun {
            let configuration = configuration
            // In a task of its own: a drain that is itself cancelled must still write the record.
            let runId = running.id
            let write = Task { () throws(SourceError) -> Bool in
                try await configuration.runStore().abort(runId: runId, finishedAt: RunReport.timestamp(Date()),
                                                     reason: "the server shut down before the run finished; marked aborted")
            }
            do {
                recorded = try await write.value
            } catch {
                logger.error("cannot mark the run aborted", metadata: ["run_id": .string(running.id), "error": .string("\(error)")])
            }
        }
        running.waiter?.resume(returning: .aborted(runId: running.id, recorded: recorded))
    }

    /// Whether the run ended within `limit`. Polls: awaiting the task itself could not be given up on.
    private func waitForRun(_ id: String, upTo limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        // A cancelled drain (the whole server is being torn down) does not wait at all.
        while current?.id == id, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return current?.id != id
    }
}
