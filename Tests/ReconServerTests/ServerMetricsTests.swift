import Foundation
import Testing

/// `/metrics` as Prometheus's own checker reads it.
@Suite("serve: metrics format")
struct ServerMetricsTests {
    /// `promtool` from PATH, or installed by `Tests/Tools/promtool.sh` into `.build/tools` (as the
    /// EVM venv is installed), once per test process.
    static let promtool: Result<String, PromtoolFailure> = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [repositoryRoot.appendingPathComponent("Tests/Tools/promtool.sh").path,
                             repositoryRoot.appendingPathComponent(".build/tools").path]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch { return .failure(PromtoolFailure(description: "cannot run promtool.sh: \(error)")) }
        let path = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let problem = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus == 0 && !path.isEmpty ? .success(path) : .failure(PromtoolFailure(description: "promtool.sh failed: \(problem)"))
    }()

    struct PromtoolFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// `promtool check metrics` over `text`: its exit status and what it said.
    static func check(_ text: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try promtool.get())
        process.arguments = ["check", "metrics"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        try input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
        try input.fileHandleForWriting.close()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, said)
    }

    @Test func promtoolAcceptsEveryMetricWithHelpText() async throws {
        try await ServerHarness.with { server in
            #expect(try await server.post(json: #"{"dryRun": true}"#).status == 200)
            #expect(try await server.post().status == 200)
            try "not: [rules".write(toFile: server.rulesPath, atomically: true, encoding: .utf8)
            #expect(try await server.post(json: #"{"dryRun": true}"#).status == 422)
            let text = try await server.get("/metrics", token: nil).text
            // Every metric this server can emit is in the text.
            let families = Set(text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] })
            #expect(families == ["streamrecon_run_in_progress", "streamrecon_runs_total", "streamrecon_run_duration_seconds",
                                 "streamrecon_discrepancies_total", "streamrecon_runs_not_started_total", "streamrecon_last_run_status",
                                 "streamrecon_last_run_timestamp_seconds", "streamrecon_last_run_discrepancies",
                                 "streamrecon_discrepancies_by_status_total", "streamrecon_last_run_new_unacknowledged"])
            for family in families {
                #expect(text.contains("# HELP \(family) "), "\(family) has no HELP text")
            }
            let checked = try Self.check(text)
            #expect(checked.status == 0, "\(checked.output)")
            #expect(checked.output.isEmpty, "\(checked.output)")
        }
    }

    /// The checker itself is strict about what this test relies on: a metric without HELP fails.
    @Test func promtoolRefusesAMetricWithoutHelp() throws {
        let checked = try Self.check("# TYPE streamrecon_example_total counter\nstreamrecon_example_total 1\n")
        #expect(checked.status != 0)
        #expect(checked.output.contains("no help text"), "\(checked.output)")
    }
}
