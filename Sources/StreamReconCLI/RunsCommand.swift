import ArgumentParser
import Foundation
import ReconSources
import Reconciliation

extension StreamRecon {
    struct Runs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read back the recorded reconciliation runs.",
            subcommands: [List.self, Show.self]
        )

        struct Options: ParsableArguments {
            @Option(help: "The app database, whose run records are read when no --store is given: an SQLite file path or a postgres:// URL. Default: the demo DB.")
            var db = "var/demo.sqlite"

            @Option(help: "Where the runs were recorded (as for run --store). Default: the --db database.")
            var store: String?

            /// The run store to read; reading it creates and writes nothing.
            func history() throws -> any RunStore {
                do {
                    return try StreamRecon.assembly.stores.store(store, defaultingTo: db)
                } catch where error.kind == .unsupported {
                    throw ValidationError(error.description)
                } catch {
                    Terminal.printError("error: \(error)")
                    throw ExitCode(ExitStatus.failed)
                }
            }

            @Option(help: "Output format: table or json.")
            var format: TableOrJSON = .table
        }

        enum TableOrJSON: String, ExpressibleByArgument, CaseIterable {
            case table, json
        }

        static func encode(_ value: some Encodable) -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self) + "\n"
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the most recent runs, newest first.")

            @OptionGroup var options: Options

            @Option(help: "How many runs to list, 1 to 10000.")
            var limit = 20

            func validate() throws {
                guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be a whole number from 1 to 10000") }
            }

            func run() async throws {
                let runs: [RunRecord]
                let history = try options.history()
                do {
                    runs = try await history.list(limit: limit)
                } catch {
                    Terminal.printError("error: \(error)")
                    throw ExitCode(ExitStatus.failed)
                }
                guard options.format == .table else { return try Terminal.write(Runs.encode(runs)) }
                let header = ["RUN", "STARTED", "STATUS", "SHARD", "STREAMS", "DISCREPANCIES", "BLOCK"]
                let rows = runs.map { [$0.id, $0.startedAt, $0.status.rawValue, $0.shard?.description ?? "-", $0.streamsChecked.map(String.init) ?? "-",
                                       $0.discrepancyCount.map(String.init) ?? "-", $0.chainBlock.map(String.init) ?? "-"] }
                try Terminal.write(TextTable.render([header] + rows))
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Show one run and its discrepancies, or the shards of one run merged.",
                discussion: """
                    Given the run key of a sharded run (run --run-key KEY --shard I/N), it merges the shards recorded \
                    as KEY/shard-I-of-N into one report. Exit status for a merge: 0 clean, 1 drift, 3 a shard failed, \
                    or the merge is incomplete (a shard missing, running or stopped).
                    """
            )

            @Argument(help: "The run id, or the run key of a sharded run.")
            var id: String

            @OptionGroup var options: Options

            struct Shown: Encodable {
                var run: RunRecord
                var discrepancies: [DiscrepancyRecord]
            }

            func run() async throws {
                let found: (run: RunRecord, discrepancies: [DiscrepancyRecord])?
                let history = try options.history()
                do {
                    found = try await history.show(id: id)
                } catch {
                    Terminal.printError("error: \(error)")
                    throw ExitCode(ExitStatus.failed)
                }
                guard let found else {
                    let merged: MergedRun?
                    do {
                        merged = try await MergedRun.merge(runKeyPrefix: id, in: history)
                    } catch {
                        Terminal.printError("error: \(error)")
                        throw ExitCode(ExitStatus.failed)
                    }
                    guard let merged else {
                        Terminal.printError("error: no run with id '\(TerminalText.escaped(id))', and no shard run under run key '\(TerminalText.escaped(id))', in \(history.displayName)")
                        throw ExitCode(ExitStatus.failed)
                    }
                    try show(merged)
                    return
                }
                guard options.format == .table else { return try Terminal.write(Runs.encode(Shown(run: found.run, discrepancies: found.discrepancies))) }
                let run = found.run
                let safe = { (text: String) in TerminalText.escaped(text) }
                var lines = [
                    "Run \(safe(run.id)): \(run.status.rawValue)",
                    "  started   \(safe(run.startedAt))", "  finished  \(safe(run.finishedAt ?? "-"))",
                    "  rules     \(safe(run.rulesName)) (sha256 \(safe(String(run.rulesSha256.prefix(12)))))",
                    "  block     \(run.chainBlock.map(String.init) ?? "-")",
                    "  streams   \(run.streamsChecked.map(String.init) ?? "-") checked, \(run.discrepancyCount.map(String.init) ?? "-") discrepancies",
                ]
                if let error = run.error { lines.append("  error     \(safe(error))") }
                if let key = run.runKey { lines.append("  run key   \(safe(key))") }
                if let alert = run.alertStatus { lines.append("  alert     \(safe(alert))") }
                try Terminal.write(lines.joined(separator: "\n") + "\n")
                guard !found.discrepancies.isEmpty else { return }
                let header = ["STREAM", "KIND", "FIELD/RULE", "SIDE", "DB", "CHAIN", "STATUS", "SEVERITY", "MESSAGE"]
                // New first, then persisting, as the run's table report shows them.
                let ordered = found.discrepancies.filter { $0.status != "persisting" } + found.discrepancies.filter { $0.status == "persisting" }
                let rows = ordered.map { row in
                    [row.streamId, row.kind, row.field ?? row.rule, row.side ?? "-", TableReport.cell(row.dbValue, kind: row.kind),
                     TableReport.cell(row.onChainValue, kind: row.kind), TableReport.status(row.finding.tracking), row.severity, row.message]
                }
                try Terminal.write("\n" + TextTable.render([header] + rows))
            }
        }
    }
}

/// Left-aligned columns separated by two spaces; cells are read from the run tables, which hold
/// data, so their control characters are escaped (and widths counted as shown).
enum TextTable {
    static func render(_ rows: [[String]]) -> String {
        let rows = rows.map { $0.map { TerminalText.escaped($0) } }
        guard let first = rows.first else { return "" }
        let widths = first.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
