import ArgumentParser
import Foundation
import Logging
import ReconServer
import ReconSources
import ReconSQLite
import Reconciliation

extension Logger.Level: @retroactive ExpressibleByArgument {}

extension StreamRecon {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the internal HTTP endpoint that runs reconciliations on request (docs/operations.md).",
            discussion: """
                Routes: POST /api/internal/reconciliation, GET /api/internal/reconciliation/runs/latest (both need \
                Authorization: Bearer <token>), GET /healthz and GET /metrics.
                Tokens: \(ServiceTokens.environmentVariable) (comma-separated, for rotation) or a file named by \
                \(ServiceTokens.fileVariable); the server does not start without one.
                SIGTERM or SIGINT stops it gracefully: a run in progress finishes, or after --shutdown-grace is \
                stopped and recorded as aborted. Logs are JSON lines on standard error.
                """
        )

        @Option(help: "The address to listen on.")
        var host = "127.0.0.1"

        @Option(help: "The port to listen on; 0 picks a free one (logged at start).")
        var port = 8080

        @OptionGroup var sources: SourceOptions

        @Option(help: "Seconds a shutdown waits for a run in progress before stopping it.")
        var shutdownGrace = 30

        @Option(help: "Seconds a connection may sit idle, or take to send a request's headers, before it is closed; a client waiting for a run's answer is never cut.")
        var idleTimeout = 30

        @OptionGroup var alerts: AlertOptions

        @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
        var logLevel: Logger.Level = .info

        func validate() throws {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
            guard (0...3600).contains(shutdownGrace) else { throw ValidationError("--shutdown-grace must be from 0 to 3600 seconds") }
            guard (1...3600).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be from 1 to 3600 seconds") }
        }

        func run() async throws {
            let tokens: ServiceTokens
            do {
                tokens = try ServiceTokens.fromEnvironment()
            } catch {
                Terminal.printError("error: \(error)")
                throw ExitCode(ExitStatus.usage)
            }
            let demo = DemoData(root: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            do {
                if sources.db == nil, try demo.prepareDatabase() {
                    Terminal.printError("note: built the demo app DB \(demo.databasePath) from \(demo.sqlPath)")
                }
            } catch {
                Terminal.printError("error: \(error)")
                throw ExitCode(ExitStatus.failed)
            }
            // Locations are checked now, not at the first request: a typo is a usage error at start.
            let database = sources.db ?? demo.databasePath
            do {
                _ = try StreamRecon.assembly.sources.appDatabase(database)
                _ = try StreamRecon.assembly.sources.chain(sources.chain ?? demo.chainPath)
                _ = try sources.runStore(database: database)
            } catch {
                throw ValidationError(error.description)
            }
            var configuration = ServerConfiguration(
                host: host, port: port, rulesPath: sources.rules, database: sources.db ?? demo.databasePath, store: sources.store,
                chain: sources.chain ?? demo.chainPath,
                batchSize: sources.batchSize, tokens: tokens, shutdownGrace: .seconds(shutdownGrace),
                idleTimeout: .seconds(idleTimeout), assembly: StreamRecon.assembly
            )
            configuration.chainFromRules = sources.chain == nil
            let level = logLevel
            let logger = Logger(label: "streamrecon.serve") { JSONLogHandler(label: $0, logLevel: level) }
            configuration.acksPath = sources.acks
            configuration.alerting = try alerts.alerting(logger: logger)
            do {
                try await ReconServer(configuration: configuration, logger: logger).run()
            } catch {
                logger.critical("the server stopped on an error", metadata: ["error": .string("\(error)")])
                throw ExitCode(ExitStatus.failed)
            }
        }
    }
}
