import Foundation

/// How `rules lint` prints its diagnostics.
public enum LintFormat: String, Sendable, CaseIterable {
    /// `path:line:col: error[CODE]: message`, then a summary line.
    case text
    /// One JSON object with counts and every diagnostic.
    case json
    /// GitHub Actions workflow commands, which annotate the lines in a pull request.
    case github
    /// SARIF 2.1.0, for code scanning: one result per diagnostic, at its line and column.
    case sarif
    /// JUnit XML, for test dashboards: a failing testcase per error, a passing one per warning
    /// and per clean file.
    case junit

    public func render(_ report: LintReport) -> String {
        switch self {
        case .text: renderText(report)
        case .json: renderJSON(report)
        case .github: renderGitHub(report)
        case .sarif: report.sarif()
        case .junit: report.junit()
        }
    }

    private func summary(_ report: LintReport) -> String {
        func plural(_ count: Int, _ word: String) -> String { "\(count) \(word)\(count == 1 ? "" : "s")" }
        return "\(plural(report.errorCount, "error")), \(plural(report.warningCount, "warning")) in \(plural(report.files.count, "file"))"
    }

    private func renderText(_ report: LintReport) -> String {
        (report.diagnostics.map(\.description) + [summary(report)]).joined(separator: "\n") + "\n"
    }

    private struct JSONReport: Encodable {
        struct Item: Encodable {
            var code: String, severity: String, file: String, line: Int, column: Int, message: String
        }

        var files: [String]
        var errors: Int
        var warnings: Int
        var diagnostics: [Item]
    }

    private func renderJSON(_ report: LintReport) -> String {
        let body = JSONReport(files: report.files, errors: report.errorCount, warnings: report.warningCount, diagnostics: report.diagnostics.map {
            .init(code: $0.code.rawValue, severity: $0.severity.rawValue, file: $0.location.file, line: $0.location.line,
                  column: $0.location.column, message: $0.message)
        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings and integers cannot fail.
        return String(decoding: (try? encoder.encode(body)) ?? Data(), as: UTF8.self) + "\n"
    }

    private func renderGitHub(_ report: LintReport) -> String {
        func escapeData(_ text: String) -> String {
            text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
        }
        func escapeProperty(_ text: String) -> String {
            escapeData(text).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
        }
        let lines = report.diagnostics.map { d in
            "::\(d.severity.rawValue) file=\(escapeProperty(d.location.file)),line=\(d.location.line),col=\(d.location.column),"
                + "title=\(escapeProperty(d.code.rawValue))::\(escapeData(d.message))"
        }
        return (lines + [summary(report)]).joined(separator: "\n") + "\n"
    }
}
