import ArgumentParser
import Foundation

/// The `streamrecon` command line: parsing and printing only; the work is in ReconEngine.
public struct StreamRecon: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "streamrecon",
        abstract: "Reconciles payment streams between the app database and the chain.",
        subcommands: [Run.self, Serve.self, Runs.self, Rules.self, Plugins.self]
    )

    public init() {}

    /// Runs the command line and returns the process exit status: 0 clean, 1 problems found,
    /// 2 usage or rules error, 3 the command failed.
    public static func execute(_ arguments: [String]) async -> Int32 {
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
        } catch {
            if exitCode(for: error) == .success {
                print(fullMessage(for: error))
                return ExitStatus.clean
            }
            Terminal.printError(fullMessage(for: error))
            return error is ValidationError || exitCode(for: error) == .validationFailure ? ExitStatus.usage : ExitStatus.failed
        }
    }
}

/// Process exit statuses shared by every subcommand (SPEC §3, §4).
enum ExitStatus {
    static let clean: Int32 = 0
    static let problems: Int32 = 1
    static let usage: Int32 = 2
    static let failed: Int32 = 3
}

enum Terminal {
    static func printError(_ message: String) {
        FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
    }

    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
