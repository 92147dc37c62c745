import ArgumentParser

extension StreamRecon {
    struct Rules: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rules",
            abstract: "Work with rules files.",
            subcommands: [Lint.self, Test.self, Diff.self]
        )
    }
}
