import ArgumentParser
import ReconEngine
import Reconciliation

extension LintFormat: ExpressibleByArgument {}

extension StreamRecon.Rules {
    struct Lint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check rules files without touching any data source.",
            discussion: "Exit status: 0 no errors, 1 errors found, 2 usage error."
        )

        @Argument(help: "Rules files or directories of *.yaml files.")
        var paths: [String] = ["Rules/"]

        @Option(help: "Also check this acks file (the --acks of run and serve) against the rules linted.")
        var acks: String?

        @Option(help: "Output format: \(LintFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
        var format: LintFormat = .text

        func run() async throws {
            let report: LintReport
            do {
                report = try Linter(compiler: StreamRecon.assembly.compiler).lint(paths: paths, acks: acks)
            } catch {
                Terminal.printError("error: \(error.description)")
                throw ExitCode(ExitStatus.usage)
            }
            try Terminal.write(format.render(report))
            if report.errorCount > 0 { throw ExitCode(ExitStatus.problems) }
        }
    }
}
