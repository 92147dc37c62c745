import ArgumentParser
import Foundation
import ReconEngine
import ReconSources
import ReconRPC
import Reconciliation

extension Severity: ExpressibleByArgument {}

extension StreamRecon {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reconcile every stream of the app DB against the chain.",
            discussion: """
                With no options it reconciles the bundled demo: Rules/streams.yaml, the demo app DB built from \
                Fixtures/demo.sql into var/demo.sqlite on first use, and Fixtures/demo-chain.json.
                Exit status: 0 clean, 1 drift at or above --fail-on, 2 usage or rules error, 3 the run failed.
                """
        )

        @OptionGroup var sources: SourceOptions

        @Flag(help: "Compute and print the full report; write nothing anywhere.")
        var dryRun = false

        @Option(help: "Report format: table, json or ndjson. Default: table on a terminal, json otherwise.")
        var format: String?

        @Option(help: "Write the report to this file (atomically) instead of standard output.")
        var output: String?

        @Option(help: "Exit 1 when a discrepancy is at least this severe: info, warning or critical.")
        var failOn: Severity = .info

        func validate() throws {
            if let format, ReportFormats.named(format) == nil {
                throw ValidationError("unknown format '\(format)'; use \(ReportFormats.all.map { $0.identifier }.joined(separator: ", "))")
            }
        }

        func run() async throws {
            let demo = DemoData(root: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            let database: any AppDatabaseSource, chainSource: any ChainSource, storePath: String
            // A dry run writes nothing: without a demo DB yet, it builds a throwaway one.
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("streamrecon-demo-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: scratch) }
            do {
                var demoPath = demo.databasePath
                if sources.db == nil, dryRun, !FileManager.default.fileExists(atPath: demoPath) {
                    demoPath = scratch.appendingPathComponent("demo.sqlite").path
                    try demo.prepareDatabase(at: demoPath)
                } else if sources.db == nil, try demo.prepareDatabase() {
                    Terminal.printError("note: built the demo app DB \(demo.databasePath) from \(demo.sqlPath)")
                }
                storePath = sources.db ?? demoPath
                database = try SourceRegistry.standard.appDatabase(storePath)
                chainSource = try SourceRegistry.standard.chain(sources.chain ?? demo.chainPath)
            } catch where error.kind == .unsupported {
                throw ValidationError(error.description)
            } catch {
                Terminal.printError("error: \(error)")
                throw ExitCode(ExitStatus.failed)
            }
            let formatName = format ?? (isatty(STDOUT_FILENO) == 1 && output == nil ? "table" : "json")
            let reportOutput: ReportOutput
            do {
                reportOutput = try output.map { try ReportOutput(file: $0) } ?? ReportOutput()
            } catch {
                Terminal.printError("error: cannot write --output \(output ?? ""): \(error)")
                throw ExitCode(ExitStatus.usage)
            }
            var writer = ReportFormats.named(formatName)!.init(output: reportOutput)
            let report: RunReport
            do {
                let store = dryRun ? nil : try RunStore(path: SourceRegistry.filePath(storePath) ?? storePath)
                let request = RunService.Request(rulesPath: sources.rules, db: database, chain: chainSource, store: store, batchSize: sources.batchSize)
                report = try await RunService().run(request) { writer.found($0) }
            } catch let error as RunService.StartError {
                reportOutput.discard()
                switch error {
                case .rules(let rulesError):
                    Terminal.printError(rulesError.description)
                    throw ExitCode(ExitStatus.usage)
                case .store(let sourceError):
                    Terminal.printError("error: cannot record the run: \(sourceError)")
                    throw ExitCode(ExitStatus.failed)
                case .source(let sourceError):
                    Terminal.printError("error: \(sourceError)")
                    throw ExitCode(sourceError.kind == .unsupported ? ExitStatus.usage : ExitStatus.failed)
                }
            } catch {
                reportOutput.discard()
                Terminal.printError("error: \(error)")
                throw ExitCode(ExitStatus.failed)
            }
            writer.finish(report)
            do {
                try reportOutput.commit()
            } catch {
                Terminal.printError("error: cannot write \(output ?? "the report"): \(error.localizedDescription)")
                throw ExitCode(ExitStatus.failed)
            }
            if let error = report.error { Terminal.printError("error: \(error)") }
            throw ExitCode(Self.exitStatus(report, failOn: failOn))
        }

        static func exitStatus(_ report: RunReport, failOn: Severity) -> Int32 {
            switch report.status {
            case .failed, .aborted, .running: ExitStatus.failed
            case .clean: ExitStatus.clean
            case .drift: (report.highestSeverity ?? .info) >= failOn ? ExitStatus.problems : ExitStatus.clean
            }
        }
    }
}
