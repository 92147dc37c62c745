import Foundation

extension LintReport {
    /// SARIF: one result per diagnostic, at its file, line and column, its code the rule id (the
    /// codes used are the log's rules); an error is level `error`, a warning `warning`.
    func sarif() -> String {
        let codes = Set(diagnostics.map(\.code)).sorted { $0.rawValue < $1.rawValue }
        let index = Dictionary(uniqueKeysWithValues: codes.enumerated().map { ($1, $0) })
        let rules = codes.map { SARIF.Rule(id: $0.rawValue, shortDescription: $0.summary) }
        let results = diagnostics.map { diagnostic in
            SARIF.Result<[String: String]>(ruleId: diagnostic.code.rawValue, ruleIndex: index[diagnostic.code],
                                           level: diagnostic.severity == .error ? .error : .warning, message: diagnostic.message,
                                           locations: [SARIF.Location(diagnostic.location)], properties: nil)
        }
        let run = SARIF.Run(category: "streamrecon-rules-lint", rules: rules, results: results, invocation: SARIF.Invocation(executionSuccessful: true))
        return String(decoding: SARIF.log(run), as: UTF8.self)
    }

    /// JUnit XML: a suite per file, a case per diagnostic (an error fails it; a warning passes,
    /// its text in `<system-out>`), and one passing case for a file with no diagnostics, so a
    /// dashboard lists every file checked.
    func junit() -> String {
        var files = files
        for diagnostic in diagnostics where !files.contains(diagnostic.location.file) { files.append(diagnostic.location.file) }
        let byFile = Dictionary(grouping: diagnostics, by: \.location.file)
        let suites = files.map { file in
            let found = byFile[file] ?? []
            let cases = found.isEmpty ? [JUnitXML.TestCase(classname: file, name: "no problems", file: file)] : found.map { diagnostic in
                let (location, isError) = (diagnostic.location, diagnostic.severity == .error)
                return JUnitXML.TestCase(
                    classname: file, name: "\(diagnostic.code.rawValue) at \(location.line):\(location.column)", file: file, line: location.line,
                    outcome: isError ? .failure(message: diagnostic.message, type: diagnostic.code.rawValue, details: diagnostic.description) : .passed,
                    systemOut: isError ? nil : diagnostic.description)
            }
            return JUnitXML.Suite(name: file, cases: cases)
        }
        return JUnitXML(name: "streamrecon rules lint", suites: suites).render()
    }
}
