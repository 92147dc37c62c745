import ArgumentParser
import Foundation
import ReconEngine
import ReconSQLite
import ReconSources
import Reconciliation

extension StreamRecon.Rules {
    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what a rules change would do: the discrepancies only OLD finds and only NEW finds, on the same data.",
            discussion: """
                Both rules files are compiled, the sources are read once, and both rule sets are applied \
                to every pair; nothing is recorded. OLD may be an earlier version from git: \
                git show main:Rules/streams.yaml > old.yaml. Exit status: 0 the same discrepancies, \
                1 different, 2 a usage or rules error, 3 a source could not be read.
                """
        )

        @Argument(help: "The rules file as it was.")
        var old: String

        @Argument(help: "The rules file as it would be.")
        var new: String

        @Option(help: "The app database: an SQLite file path or a postgres:// URL. Default: the demo DB.")
        var db: String?

        @Option(help: "The chain: a snapshot file or an http(s) JSON-RPC node URL. Default: the demo snapshot.")
        var chain: String?

        @Option(help: "Output format: text or json.")
        var format: DiffFormat = .text

        @Option(help: "DB rows read per page, 1 to \(SourceQuery.maximumBatchSize).")
        var batchSize = SourceQuery.defaultBatchSize

        enum DiffFormat: String, ExpressibleByArgument, CaseIterable {
            case text, json
        }

        func validate() throws {
            guard (1...SourceQuery.maximumBatchSize).contains(batchSize) else {
                throw ValidationError("--batch-size must be a whole number from 1 to \(SourceQuery.maximumBatchSize)")
            }
        }

        func run() async throws {
            let compiler = StreamRecon.assembly.compiler
            var compiled: [CompiledRuleSet] = []
            for path in [old, new] {
                let result = compiler.compile(path: path)
                guard let ruleSet = result.ruleSet else {
                    for diagnostic in result.diagnostics { Terminal.printError(diagnostic.description) }
                    throw ExitCode(ExitStatus.usage)
                }
                compiled.append(ruleSet)
            }
            let diff: RulesDiff
            do {
                diff = try RulesDiff(old: compiled[0], new: compiled[1])
            } catch {
                Terminal.printError("error: \(error)")
                throw ExitCode(ExitStatus.usage)
            }
            let demo = DemoData(root: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("streamrecon-diff-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: scratch) }
            let database: any AppDatabaseSource, chainSource: any ChainSource
            do {
                // A diff writes nothing: without a demo DB yet, it reads a throwaway one.
                let path: String
                if let db { path = db } else { path = try demo.databaseForReading(scratch: scratch) }
                database = try StreamRecon.assembly.sources.appDatabase(path)
                // Without --chain, rules with 'evm.deployments' read each deployment's node.
                let sources = StreamRecon.assembly.sources
                if let chain { chainSource = try sources.chain(chain) } else { chainSource = try sources.defaultChain(demo.chainPath) }
            } catch where error.kind == .unsupported {
                throw ValidationError(error.description)
            } catch {
                Terminal.printError("error: \(error)")
                throw ExitCode(ExitStatus.failed)
            }
            let outcome: RulesDiff.Outcome
            do {
                outcome = try await diff.compare(db: database, chain: chainSource, batchSize: batchSize)
            } catch {
                Terminal.printError("error: \(error.error)")
                throw ExitCode(ExitStatus.failed)
            }
            try Terminal.write(format == .json ? Self.json(outcome, old: old, new: new) : Self.text(outcome, old: old, new: new))
            if !outcome.isSame { throw ExitCode(ExitStatus.problems) }
        }

        static func counts(_ findings: [Finding]) -> String {
            let kinds = Dictionary(grouping: findings, by: \.kind.rawValue).mapValues(\.count).sorted { $0.key < $1.key }
            return "\(findings.count)" + (kinds.isEmpty ? "" : " (" + kinds.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")")
        }

        static func text(_ outcome: RulesDiff.Outcome, old: String, new: String) -> String {
            var lines = ["rules diff \(TerminalText.escaped(old)) -> \(TerminalText.escaped(new)): \(outcome.streamsChecked) streams"
                + (outcome.chainBlock.map { ", chain block \($0)" } ?? "")]
            if outcome.isSame {
                lines.append("no change: both find the same discrepancies")
            } else {
                lines.append("removed (only OLD finds): \(counts(outcome.removed))")
                lines.append("added (only NEW finds):   \(counts(outcome.added))")
                lines.append("")
                for (sign, findings) in [("-", outcome.removed), ("+", outcome.added)] {
                    for finding in findings {
                        lines.append("\(sign) \(TerminalText.escaped(finding.streamId))  \(finding.kind.rawValue)  "
                            + "\(TerminalText.escaped(finding.field ?? finding.rule))\(finding.side.map { " (\($0.rawValue))" } ?? "")  "
                            + TerminalText.escaped(finding.message))
                    }
                }
            }
            if !outcome.sourceErrors.isEmpty {
                lines.append("\(outcome.sourceErrors.count) source error(s) left out of the comparison (the same for both)")
            }
            return lines.joined(separator: "\n") + "\n"
        }

        private struct JSONDiff: Encodable {
            var old: String, new: String, streamsChecked: Int, chainBlock: UInt64?, same: Bool
            var removedByKind: [String: Int], addedByKind: [String: Int]
            var removed: [Finding], added: [Finding], sourceErrors: [Finding]
        }

        static func json(_ outcome: RulesDiff.Outcome, old: String, new: String) -> String {
            func byKind(_ findings: [Finding]) -> [String: Int] { Dictionary(grouping: findings, by: \.kind.rawValue).mapValues(\.count) }
            let body = JSONDiff(old: old, new: new, streamsChecked: outcome.streamsChecked, chainBlock: outcome.chainBlock, same: outcome.isSame,
                                removedByKind: byKind(outcome.removed), addedByKind: byKind(outcome.added), removed: outcome.removed,
                                added: outcome.added, sourceErrors: outcome.sourceErrors)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(decoding: (try? encoder.encode(body)) ?? Data(), as: UTF8.self) + "\n"
        }
    }
}
