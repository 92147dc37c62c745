import ArgumentParser
import Foundation
import ReconAssembly
import Reconciliation

/// The `streamrecon` command line: parsing and printing only; the work is in ReconEngine.
public struct StreamRecon: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "streamrecon",
        abstract: "Reconciles payment streams between the app database and the chain.",
        subcommands: [Run.self, Serve.self, Runs.self, Rules.self, Plugins.self]
    )

    public init() {}

    /// The composition root every subcommand takes its plugins, sources, stores and formats from.
    @TaskLocal public static var assembly: Assembly = .standard

    /// Runs the command line with `assembly` and returns the process exit status: 0 clean,
    /// 1 problems found, 2 usage or rules error, 3 the command failed.
    public static func execute(_ arguments: [String], assembly: Assembly = .standard) async -> Int32 {
        await $assembly.withValue(assembly) { await execute(arguments) }
    }

    private static func execute(_ arguments: [String]) async -> Int32 {
        // A closed pipe (`| head -1`) is a write error to handle, not a signal that kills the
        // process mid-run and leaves its record `running`.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return ExitStatus.clean
        } catch let code as ExitCode {
            return code.rawValue
        } catch let failure as Terminal.WriteFailure {
            Terminal.printError("error: \(failure)")
            return ExitStatus.failed
        } catch {
            if exitCode(for: error) == .success {
                do {
                    try Terminal.write(fullMessage(for: error) + "\n")
                } catch {
                    Terminal.printError("error: \(error)")
                    return ExitStatus.failed
                }
                return ExitStatus.clean
            }
            Terminal.printError(fullMessage(for: error))
            return error is ValidationError || exitCode(for: error) == .validationFailure ? ExitStatus.usage : ExitStatus.failed
        }
    }
}

/// Process exit statuses shared by every subcommand (docs/operations.md, "Exit status and alerting").
enum ExitStatus {
    static let clean: Int32 = 0
    static let problems: Int32 = 1
    static let usage: Int32 = 2
    static let failed: Int32 = 3
}

enum Terminal {
    /// Writes a line to standard error, its control characters but line breaks escaped (an
    /// error may quote a stream id); when even that fails there is no one left to tell.
    static func printError(_ message: String) {
        let message = TerminalText.escaped(message, keepingLineBreaks: true)
        try? FileHandle.standardError.write(contentsOf: Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
    }

    /// A write to standard output that failed (a full disk, a closed pipe).
    struct WriteFailure: Error, CustomStringConvertible {
        var reason: String
        var description: String { "cannot write to standard output: \(reason)" }
    }

    static func write(_ text: String) throws(WriteFailure) {
        do {
            try FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
        } catch {
            throw WriteFailure(reason: ReportOutput.reason(error))
        }
    }
}
