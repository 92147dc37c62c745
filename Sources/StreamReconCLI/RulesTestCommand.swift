import ArgumentParser
import Foundation
import ReconEngine

extension RuleTestFormat: ExpressibleByArgument {}

extension StreamRecon.Rules {
    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run rule unit tests (*.test.yaml) without touching any data source.",
            discussion: """
                Each case is a DB row and/or an on-chain record and the findings it must produce. \
                Exit status: 0 every case passes (and coverage meets --min-coverage), 1 a case fails \
                or coverage is below the minimum, 2 a usage, rules or test file error.
                """
        )

        @Argument(help: "Test files, or directories searched for *.test.yaml.")
        var paths: [String] = ["Rules/"]

        @Option(help: "Output format: \(RuleTestFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
        var format: RuleTestFormat = .text

        @Flag(help: "Also check generated pairs at every tolerance bound (and one past it) and every map entry.")
        var boundaries = false

        @Option(name: .customLong("min-coverage"), help: "Fail (exit 1) when a rules file's coverage is below PCT (0 to 100).")
        var minCoverage: Double?

        func validate() throws {
            if let minCoverage, !(0...100).contains(minCoverage) {
                throw ValidationError("--min-coverage must be a percentage from 0 to 100, not \(minCoverage)")
            }
        }

        func run() async throws {
            var files: [String] = []
            for path in paths {
                do {
                    let (found, isDirectory) = try Linter.files(at: path)
                    files += isDirectory ? found.filter(RuleTestLoader.isTestFile) : found
                } catch {
                    Terminal.printError("error: \(error.description)")
                    throw ExitCode(ExitStatus.usage)
                }
            }
            guard !files.isEmpty else {
                Terminal.printError("error: no rule test files (*.test.yaml) in \(paths.joined(separator: ", "))")
                throw ExitCode(ExitStatus.usage)
            }
            let loader = RuleTestLoader(compiler: StreamRecon.assembly.compiler)
            var loaded: [RuleTestFile] = []
            var problems: [Diagnostic] = []
            for path in files {
                let result = loader.load(path: path)
                problems += result.diagnostics.filter { $0.severity == .error }
                if let file = result.file { loaded.append(file) }
            }
            guard problems.isEmpty else {
                for problem in problems { Terminal.printError(problem.description) }
                throw ExitCode(ExitStatus.usage)
            }
            let report = RuleTestRunner().run(loaded, boundaries: boundaries)
            try Terminal.write(format.render(report, minCoverage: minCoverage))
            let below = minCoverage.map { minimum in report.coverage.contains { $0.percent < minimum } } ?? false
            if report.failed > 0 || below { throw ExitCode(ExitStatus.problems) }
        }
    }
}
