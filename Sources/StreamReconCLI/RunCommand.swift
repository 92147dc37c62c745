import ArgumentParser
import Foundation
import ReconEngine
import ReconSources
import ReconSQLite
import Reconciliation
import Synchronization

extension Severity: ExpressibleByArgument {}

extension StreamRecon {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reconcile every stream of the app DB against the chain.",
            discussion: """
                With no options it reconciles the bundled demo: Rules/streams.yaml, the demo app DB built from \
                Fixtures/demo.sql into var/demo.sqlite on first use, and Fixtures/demo-chain.json.
                Exit status: 0 clean, 1 drift at or above --fail-on, 2 usage or rules error, 3 the run failed or was stopped.
                SIGTERM, SIGINT or SIGHUP stops the run and records it aborted. See docs/operations.md.
                """
        )

        @OptionGroup var sources: SourceOptions

        @Flag(help: "Compute and print the full report; write nothing anywhere.")
        var dryRun = false

        @Option(help: "Report format: table, json, ndjson, sarif or junit. Default: table on a terminal, json otherwise.")
        var format: String?

        @Option(help: "Write the report to this file (atomically) instead of standard output. Refused when it is an input file, a symbolic link or not a regular file.")
        var output: String?

        @Option(help: "Exit 1 when a discrepancy no acknowledgement covers is at least this severe: info, warning or critical.")
        var failOn: Severity = .info

        @Option(help: "A key for this run, unique in the store: when a run with it is recorded, no new run starts and its report is shown (a date-based key keeps a retried nightly trigger from running twice).")
        var runKey: String?

        @Option(help: "Check only shard I of N (I counts from 0, below N; N up to \(Shard.maximumCount)): the streams whose key hashes to I. With --run-key KEY the run is recorded as KEY/shard-I-of-N; 'runs show KEY' merges the shards.")
        var shard: String?

        /// `--shard`, checked by `validate()`.
        private var parsedShard: Shard? { shard.flatMap { try? Shard(parsing: $0) } }

        @OptionGroup var alerts: AlertOptions

        @Flag(help: "Check only the streams that changed since the previous run (by the contract's events and the rows' 'db.updated_at'), its open discrepancies and a --sample of the rest; without a usable previous run, check every stream and say why.")
        var incremental = false

        @Option(help: "With --incremental: the percentage (0 to 100) of the unchanged rows checked anyway, chosen at random. Default: 0.")
        var sample: Double?

        func validate() throws {
            if let sample {
                guard incremental else { throw ValidationError("--sample applies to an --incremental run") }
                guard sample.isFinite, (0...100).contains(sample) else { throw ValidationError("--sample is a percentage from 0 to 100, not \(sample)") }
            }
            if let runKey {
                if let problem = RunKey.problem(runKey) { throw ValidationError("--run-key: \(problem)") }
                if dryRun { throw ValidationError("--run-key applies to recorded runs; a dry run records nothing") }
            }
            if let shard {
                do throws(Shard.Invalid) {
                    _ = try Shard(parsing: shard)
                } catch {
                    throw ValidationError("--shard: \(error)")
                }
            }
            if let format, StreamRecon.assembly.format(named: format) == nil {
                throw ValidationError("unknown format '\(format)'; use \(StreamRecon.assembly.formats.map { $0.identifier }.joined(separator: ", "))")
            }
        }

        /// The run's sources, resolved; the demo's when none are given.
        private struct Resolved {
            var database: any AppDatabaseSource
            var chain: any ChainSource
            /// Where the run is recorded; nil on a dry run.
            var store: (any RunStore)?
            /// Where a dry run reads the previous run from.
            var history: (any RunStore)?
        }

        /// Every file the run would read, from the options alone: `--output` is checked against
        /// them before anything is built or opened.
        private func inputs(_ demo: DemoData) -> [ReportOutput.Input] {
            var inputs: [ReportOutput.Input] = []
            // A database's journal files too: a report written over a WAL would lose its transactions.
            for (option, location) in [("--db", sources.db ?? demo.databasePath), ("--store", sources.store)] {
                guard let location, let path = Location.filePath(location) else { continue }
                inputs += ["", "-wal", "-shm", "-journal"].map { ReportOutput.Input(option: option, path: path + $0) }
            }
            inputs.append(ReportOutput.Input(option: "--rules", path: sources.rules))
            if let acks = sources.acks { inputs.append(ReportOutput.Input(option: "--acks", path: acks)) }
            if let chainFile = Location.filePath(sources.chain ?? demo.chainPath) {
                inputs.append(ReportOutput.Input(option: "--chain", path: chainFile))
            }
            return inputs
        }

        private func resolve(_ demo: DemoData, scratch: URL) throws -> Resolved {
            do {
                var demoPath = demo.databasePath
                if sources.db == nil, dryRun {
                    // A dry run writes nothing: without a demo DB yet, it builds a throwaway one.
                    demoPath = try demo.databaseForReading(scratch: scratch)
                } else if sources.db == nil, try demo.prepareDatabase() {
                    Terminal.printError("note: built the demo app DB \(demo.databasePath) from \(demo.sqlPath)")
                }
                let assembly = StreamRecon.assembly
                let database = sources.db ?? demoPath
                // A dry run reads the previous run from where runs are recorded, if it exists (never creating it).
                let history = dryRun ? try? assembly.stores.store(sources.store ?? (sources.db == nil ? demo.databasePath : database)) : nil
                return Resolved(database: try assembly.sources.appDatabase(database),
                                chain: try chain(assembly.sources, demo: demo),
                                store: dryRun ? nil : try sources.runStore(database: database), history: history)
            } catch where error.kind == .unsupported {
                throw ValidationError(error.description)
            } catch {
                Terminal.printError("error: \(error)")
                throw ExitCode(ExitStatus.failed)
            }
        }

        /// `--chain`; without it, the rules' deployments when they list some, else the demo snapshot.
        private func chain(_ registry: SourceRegistry, demo: DemoData) throws(SourceError) -> any ChainSource {
            if let location = sources.chain { return try registry.chain(location) }
            return try registry.defaultChain(demo.chainPath)
        }

        func run() async throws {
            // Trapped for the whole command, so that no signal finds the process unprepared.
            let signals = await SignalStop()
            defer { signals.stop() }
            let demo = DemoData(root: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("streamrecon-demo-\(UUID().uuidString)")
            signals.onExit { try? FileManager.default.removeItem(at: scratch) }
            defer { try? FileManager.default.removeItem(at: scratch) }
            // Checked before anything is built, opened or run: a refused --output changes nothing.
            let reportOutput: ReportOutput
            do {
                let inputs = inputs(demo)
                reportOutput = try output.map { path throws(ReportOutput.Unwritable) in try ReportOutput(file: path, inputs: inputs) }
                    ?? ReportOutput()
            } catch {
                Terminal.printError("error: cannot write --output \(output ?? ""): \(error)")
                throw ExitCode(ExitStatus.usage)
            }
            signals.onExit { reportOutput.discard() }
            let resolved: Resolved
            do {
                resolved = try resolve(demo, scratch: scratch)
            } catch {
                reportOutput.discard()
                throw error
            }
            let formatName = format ?? (isatty(STDOUT_FILENO) == 1 && output == nil ? "table" : "json")
            guard let formatType = StreamRecon.assembly.format(named: formatName) else { throw ValidationError("unknown format '\(formatName)'") }
            var request = RunService.Request(rulesPath: sources.rules, db: resolved.database, chain: resolved.chain, store: resolved.store,
                                             batchSize: sources.batchSize)
            request.acksPath = sources.acks
            request.runKey = runKey.map { RunKey.stored($0, shard: parsedShard) }
            request.shard = parsedShard
            request.incremental = incremental
            request.samplePercent = sample ?? 0
            request.history = resolved.history
            request.alerting = try alerts.alerting()
            let database = sources.db ?? demo.databasePath
            let reopen = { @Sendable () throws(SourceError) -> any RunStore in
                // A fresh connection with a short wait: the process is about to end.
                try sources.runStore(database: database, options: RunStoreOptions(busyTimeout: .seconds(2)))
            }
            let ended = await Self.perform(request, writer: formatType.init(output: reportOutput), signals: signals, reopenStore: reopen)
            let report: RunReport
            switch ended.result {
            case .failure(let error):
                reportOutput.discard()
                Terminal.printError(error.operatorText)
                throw ExitCode(error.exitStatus)
            case .success(let finished):
                report = finished
            }
            if report.runId != request.runId, let runKey = request.runKey {
                Terminal.printError("note: run key '\(TerminalText.escaped(runKey))' was used by run \(report.runId) (\(report.status.rawValue), started \(report.startedAt)); "
                    + "no new run started, and that run's report follows")
            }
            if report.runId == request.runId, let coverage = report.coverage, coverage.mode == "full" {
                Terminal.printError("note: --incremental ran in full: \(TerminalText.escaped(coverage.reason ?? "no usable previous run"))")
            }
            signals.set(.finishing(recorded: Self.recorded(report)))
            var writer = ended.writer
            do {
                // A run key's stored report: its discrepancies were never found here, so a format
                // that writes them as found (ndjson) gets them now.
                if report.runId != request.runId { for finding in report.discrepancies { try writer.found(finding) } }
            } catch {
                reportOutput.discard()
                Terminal.printError("error: \(error); the run \(Self.recorded(report))")
                throw ExitCode(ExitStatus.failed)
            }
            if let failure = ended.writeFailure {
                reportOutput.discard()
                Terminal.printError("error: \(failure); the run was stopped and \(Self.recorded(report))")
                throw ExitCode(ExitStatus.failed)
            }
            do {
                try writer.finish(report)
                try reportOutput.commit()
            } catch {
                reportOutput.discard()
                Terminal.printError("error: \(error); the run \(Self.recorded(report))")
                throw ExitCode(ExitStatus.failed)
            }
            if let signal = signals.signal, report.status == .aborted {
                Terminal.printError("error: stopped by \(signal); the run \(Self.recorded(report))")
            } else if let signal = signals.signal, report.alert?.outcome == .stopped {
                Terminal.printError("error: stopped by \(signal) while the alert was sent; the run \(Self.recorded(report)), its alert \(report.alert!)")
                throw ExitCode(ExitStatus.failed)
            } else if let error = report.error {
                Terminal.printError("error: \(error)")
            }
            if let alert = report.alert, alert.outcome != .delivered {
                Terminal.printError("warning: the run's alert was not delivered: \(alert); the run itself is recorded")
            }
            throw ExitCode(Self.exitStatus(report, failOn: failOn))
        }

        /// How a run ended, for a one-line message: "was recorded as aborted (run ID)".
        static func recorded(_ report: RunReport) -> String {
            report.dryRun ? "was a dry run (nothing recorded)"
                : report.persisted ? "was recorded as \(report.status.rawValue) (run \(report.runId))"
                : "could not be recorded completely (run \(report.runId)); see its row"
        }

        /// Runs one reconciliation, writing findings as they are found. A signal (through
        /// `signals`) stops it, as does a write that fails (a full disk, a closed pipe): it then
        /// ends `aborted`, and is recorded so, never left `running`.
        static func perform(_ request: RunService.Request, writer: any ReportFormat, signals: SignalStop,
                            reopenStore: @escaping @Sendable () throws(SourceError) -> any RunStore) async -> RunCommandEnded {
            // The run's own task, known to the alert phase once it has started.
            let running = Mutex<Task<RunCommandEnded, Never>?>(nil)
            var request = request
            request.onRecorded = { report in
                if let task = running.withLock({ $0 }) { signals.set(.alerting(task, recorded: recorded(report))) }
            }
            let work = Task { [request] () -> RunCommandEnded in
                var writer = writer
                var failure: ReportOutput.WriteFailure?
                let result: Result<RunReport, RunService.StartError>
                do throws(RunService.StartError) {
                    result = .success(try await RunService(compiler: StreamRecon.assembly.compiler).run(request) { finding in
                        guard failure == nil else { return }
                        do throws(ReportOutput.WriteFailure) {
                            try writer.found(finding)
                        } catch {
                            failure = error
                            withUnsafeCurrentTask { $0?.cancel() }
                        }
                    })
                } catch {
                    result = .failure(error)
                }
                return RunCommandEnded(result: result, writer: writer, writeFailure: failure)
            }
            let runId = request.runId
            let abort = request.store.map { _ in
                { @Sendable (reason: String) async -> Bool in
                    guard let quick = try? reopenStore() else { return false }
                    return (try? await quick.abort(runId: runId, finishedAt: RunReport.timestamp(Date()), reason: reason)) ?? false
                }
            }
            running.withLock { $0 = work }
            signals.set(.running(work, abort: abort))
            return await work.value
        }

        static func exitStatus(_ report: RunReport, failOn: Severity) -> Int32 {
            switch report.status {
            case .failed, .aborted, .running: ExitStatus.failed
            case .clean: ExitStatus.clean
            // Drift that acknowledgements cover entirely has no highest severity: it does not fail.
            case .drift: report.highestSeverity.map { $0 >= failOn ? ExitStatus.problems : ExitStatus.clean } ?? ExitStatus.clean
            }
        }
    }
}

extension RunService.StartError {
    /// The operator's one line (or the lint diagnostics) for a run that did not start.
    var operatorText: String {
        switch self {
        case .rules(let rulesError): rulesError.description
        case .store(let sourceError): "error: cannot record the run: \(sourceError)"
        case .busy(let running): "error: \(running)"
        case .source(let sourceError): "error: \(sourceError)"
        }
    }

    var exitStatus: Int32 {
        switch self {
        case .rules: ExitStatus.usage
        case .store, .busy: ExitStatus.failed
        case .source(let sourceError): sourceError.kind == .unsupported ? ExitStatus.usage : ExitStatus.failed
        }
    }
}

/// What `Run.perform` gives back: the run's result, the writer (with what it has written), and
/// a write that failed mid-run.
struct RunCommandEnded: Sendable {
    var result: Result<RunReport, RunService.StartError>
    var writer: any ReportFormat
    var writeFailure: ReportOutput.WriteFailure?
}
