import Foundation

/// How `rules test` prints its results.
public enum RuleTestFormat: String, Sendable, CaseIterable {
    /// Failing cases with expected and actual side by side, then totals and coverage.
    case text
    /// One JSON object: every case with its findings, and coverage.
    case json
    /// JUnit XML, as CI dashboards read it: one testcase per case, a failure carrying the diff.
    case junit

    public func render(_ report: RuleTestRunner.Report, minCoverage: Double? = nil) -> String {
        switch self {
        case .text: Self.text(report, minCoverage: minCoverage)
        case .json: Self.json(report, minCoverage: minCoverage)
        case .junit: Self.junit(report)
        }
    }

    /// Expected and actual findings side by side, each actual with its message.
    static func diff(_ result: RuleTestRunner.CaseResult) -> [String] {
        let left = result.expected.isEmpty ? ["(no findings)"] : result.expected.map(\.description)
        let right = result.actual.isEmpty ? ["(no findings)"] : result.actual.map { finding in
            ([finding.kind.rawValue, finding.field, "rule=\(finding.rule)", finding.side.map { "side=\($0.rawValue)" }].compactMap { $0 })
                .joined(separator: " ")
        }
        let width = max(8, (left + ["expected"]).map(\.count).max()!)
        var lines = ["expected".padding(toLength: width, withPad: " ", startingAt: 0) + " | actual"]
        for row in 0..<max(left.count, right.count) {
            let a = row < left.count ? left[row] : ""
            let b = row < right.count ? right[row] : ""
            lines.append(a.padding(toLength: width, withPad: " ", startingAt: 0) + " | " + b)
            if row < result.actual.count {
                lines.append(String(repeating: " ", count: width) + " |   " + result.actual[row].message)
            }
        }
        return lines
    }

    static func percent(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }

    private static func text(_ report: RuleTestRunner.Report, minCoverage: Double?) -> String {
        var lines: [String] = []
        for result in report.cases where !result.passed {
            lines.append("FAIL \(result.location): \(result.name)")
            lines += diff(result).map { "  " + $0 }
            lines.append("")
        }
        let passed = report.cases.count - report.failed
        lines.append("\(report.cases.count) case\(report.cases.count == 1 ? "" : "s"): \(passed) passed, \(report.failed) failed")
        for coverage in report.coverage {
            let count = coverage.items.count - coverage.missing.count
            var line = "coverage of \(coverage.rulesPath): \(percent(coverage.percent))% (\(count) of \(coverage.items.count))"
            if let minCoverage, coverage.percent < minCoverage { line += ", below the minimum of \(percent(minCoverage))%" }
            lines.append(line)
            lines += coverage.missing.map { "  not covered: \($0)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private struct JSONReport: Encodable {
        struct Expected: Encodable { var kind: String, field: String?, rule: String?, side: String? }
        struct Case: Encodable {
            var file: String, line: Int, name: String, passed: Bool, expected: [Expected], actual: [Finding]
        }
        struct Coverage: Encodable { var rules: String, percent: Double, covered: Int, total: Int, missing: [String], belowMinimum: Bool }
        var cases: [Case]
        var passed: Int
        var failed: Int
        var coverage: [Coverage]
    }

    private static func json(_ report: RuleTestRunner.Report, minCoverage: Double?) -> String {
        let body = JSONReport(
            cases: report.cases.map { result in
                .init(file: result.file, line: result.location.line, name: result.name, passed: result.passed,
                      expected: result.expected.map { .init(kind: $0.kind.rawValue, field: $0.field, rule: $0.rule, side: $0.side?.rawValue) },
                      actual: result.actual)
            },
            passed: report.cases.count - report.failed, failed: report.failed,
            coverage: report.coverage.map { coverage in
                .init(rules: coverage.rulesPath, percent: coverage.percent, covered: coverage.items.count - coverage.missing.count,
                      total: coverage.items.count, missing: coverage.missing, belowMinimum: coverage.percent < (minCoverage ?? 0))
            }
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(body)) ?? Data(), as: UTF8.self) + "\n"
    }

    /// XML text: the five escapes, and characters XML 1.0 cannot hold dropped.
    static func xml(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
            default:
                if scalar.value >= 0x20, scalar.value != 0xFFFE, scalar.value != 0xFFFF { result.unicodeScalars.append(scalar) }
            }
        }
        return result
    }

    private static func junit(_ report: RuleTestRunner.Report) -> String {
        var lines = [#"<?xml version="1.0" encoding="UTF-8"?>"#,
                     #"<testsuites name="streamrecon rules test" tests="\#(report.cases.count)" failures="\#(report.failed)">"#]
        var files: [String] = []
        for result in report.cases where !files.contains(result.file) { files.append(result.file) }
        for file in files {
            let cases = report.cases.filter { $0.file == file }
            lines.append(#"  <testsuite name="\#(xml(file))" tests="\#(cases.count)" failures="\#(cases.count { !$0.passed })">"#)
            for result in cases {
                let open = #"    <testcase classname="\#(xml(file))" name="\#(xml(result.name))" file="\#(xml(file))" line="\#(result.location.line)""#
                if result.passed {
                    lines.append(open + "/>")
                } else {
                    lines.append(open + ">")
                    let message = "\(result.expected.count) expected, \(result.actual.count) found"
                    lines.append(#"      <failure message="\#(xml(message))" type="findings">\#(xml(diff(result).joined(separator: "\n")))</failure>"#)
                    lines.append("    </testcase>")
                }
            }
            lines.append("  </testsuite>")
        }
        lines.append("</testsuites>")
        return lines.joined(separator: "\n") + "\n"
    }
}
