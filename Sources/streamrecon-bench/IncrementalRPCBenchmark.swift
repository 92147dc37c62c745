import Foundation
import GRDB
import ReconChain

/// `rpc --incremental`: N streams on a rate-limited loopback node; a full recorded run, then
/// 1 % of the streams change (on chain with their logs, a few in the DB), then an incremental
/// run and a full run over the same data, each timed and its HTTP requests counted. Both
/// reports are checked against the changes made: a broken run measures nothing.
enum IncrementalRPCBenchmark {
    static let confirmations: UInt64 = 12
    /// How the app DB stamped its rows before the benchmark (long before the first run).
    static let oldStamp = "2026-01-01T00:00:00Z"

    static func run() async throws {
        let streams = option("--streams", default: 100_000)
        let rps = option("--rps", default: 25)
        let latency = option("--latency-ms", default: 20)
        let changedPercent = option("--changed-pct", default: 1.0)
        let blocks = UInt64(option("--blocks", default: 7200))
        let maxLogRange = UInt64(option("--max-log-range", default: 2000))
        let batchSize = option("--batch-size", default: 100)
        let page = CommandLine.arguments.contains("--page-size") ? option("--page-size", default: 1000) : nil

        let chain = SyntheticChain(streams: streams, head: 20_000_000)
        let node = SyntheticNode(chain: chain, latency: .milliseconds(latency), rps: rps, maxLogRange: maxLogRange)
        let scratch = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let (port, server) = try await node.start()
        defer { server.cancel() }
        let db = scratch.appendingPathComponent("app.sqlite").path
        try RPCBenchmark.writeDatabase(db, streams: streams, stamp: oldStamp)
        let rules = scratch.appendingPathComponent("rules.yaml").path
        try RPCBenchmark.rulesText(name: "rpc-incremental-bench", batchSize: batchSize, multicall: true, confirmations: Int(confirmations),
                                     incremental: true).write(toFile: rules, atomically: true, encoding: .utf8)
        print("node: 127.0.0.1:\(port), at most \(rps) HTTP requests a second (beyond: 429, Retry-After: 1), each answered after \(latency) ms; "
            + "eth_getLogs up to \(maxLogRange) blocks; \(streams) streams × \(RPCBenchmark.views.count) views, Multicall3 batch_size \(batchSize)"
            + (page.map { ", --batch-size \($0)" } ?? ""))

        var runner = Runner(node: node, rules: rules, db: db, url: "http://127.0.0.1:\(port)", scratch: scratch, page: page)
        let first = try await runner.run("run 1, full", expectedStatus: 0)
        try check(first.report, status: "clean", checked: streams, findings: [])

        var random = SplitMix64(seed: 13)
        let plan = ChangePlan(streams: streams, percent: changedPercent, random: &random)
        chain.advance(blocks: blocks, spread: blocks - 2 * confirmations, changes: plan.onChain, random: &random)
        try plan.writeDatabase(db, chain: chain)
        print("changed \(plan.total) streams (\(String(format: "%g", changedPercent)) %): \(plan.onChain.count) on chain, each with its log "
            + "(\(plan.caughtUp.count) of them also in the DB, the app caught up), \(plan.inDBOnly.count) in the DB only; \(blocks) blocks mined")

        let incremental = try await runner.run("run 2, incremental", extra: ["--incremental"], expectedStatus: 1)
        try check(incremental.report, status: "drift", checked: plan.total, findings: plan.expectedFindings)
        try checkCoverage(incremental.report, plan: plan, streams: streams, previous: first.report)
        let full = try await runner.run("run 3, full", expectedStatus: 1)
        try check(full.report, status: "drift", checked: streams, findings: plan.expectedFindings)

        print("incremental run's answered requests by what they asked:")
        for (label, counts) in incremental.traffic.byMethod.sorted(by: { $0.value.requests > $1.value.requests }) {
            print(String(format: "  %6d × %@ (%d calls)", counts.requests, label, counts.calls))
        }
        let fewer = Double(full.traffic.requests) / Double(incremental.traffic.requests)
        let faster = full.seconds / incremental.seconds
        print(String(format: "full (run 3) / incremental (run 2): %.1f× fewer HTTP requests (target 50×: %@), %.1f× less time (target 20×: %@)",
                     fewer, fewer >= 50 ? "met" : "NOT MET", faster, faster >= 20 ? "met" : "NOT MET"))
    }

    /// Runs `streamrecon run` as a child process, recorded in the app DB, timing it and counting the node's traffic.
    struct Runner {
        let node: SyntheticNode
        let rules: String, db: String, url: String
        let scratch: URL
        let page: Int?
        var count = 0

        struct Measured {
            var seconds: Double
            var traffic: SyntheticNode.Traffic
            var report: [String: Any]
        }

        mutating func run(_ label: String, extra: [String] = [], expectedStatus: Int32) async throws -> Measured {
            count += 1
            let output = scratch.appendingPathComponent("report-\(count).json").path
            let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("streamrecon")
            var arguments = ["run", "--rules", rules, "--db", db, "--chain", url, "--format", "json", "--output", output] + extra
            if let page { arguments += ["--batch-size", String(page)] }
            node.reset()
            var status: Int32 = 0
            let wall = try await seconds { status = try await childStatus(binary, arguments) }
            let traffic = node.traffic
            guard status == expectedStatus else { throw BenchError("\(label): streamrecon run exited \(status); expected \(expectedStatus)") }
            guard let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output))) as? [String: Any] else {
                throw BenchError("\(label): the report is not a JSON object")
            }
            print(String(format: "%@ %6d HTTP requests (%d answered, %d refused 429)  %8.2f s   %@, %@ streams checked",
                         label.padding(toLength: 20, withPad: " ", startingAt: 0), traffic.requests, traffic.answered, traffic.refused, wall, report["status"] as? String ?? "?",
                         String(describing: (report["summary"] as? [String: Any])?["streamsChecked"] ?? "?")))
            return Measured(seconds: wall, traffic: traffic, report: report)
        }
    }

    static func childStatus(_ binary: URL, _ arguments: [String]) async throws -> Int32 {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        return try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
    }

    /// The report's status, streams checked, and findings (stream id and rule, every one a mismatch) are the ones expected.
    static func check(_ report: [String: Any], status: String, checked: Int, findings expected: Set<String>) throws {
        let runId = report["runId"] as? String ?? "?"
        guard report["status"] as? String == status, report["persisted"] as? Bool == true else {
            throw BenchError("run \(runId) is \(report["status"] ?? "?") (persisted \(report["persisted"] ?? "?")), expected \(status), recorded; error: \(report["error"] ?? "none")")
        }
        let summary = report["summary"] as? [String: Any] ?? [:]
        guard summary["streamsChecked"] as? Int == checked else {
            throw BenchError("run \(runId) checked \(summary["streamsChecked"] ?? "?") streams, expected \(checked)")
        }
        let discrepancies = report["discrepancies"] as? [[String: Any]] ?? []
        let found = Set(discrepancies.map { "\($0["streamId"] as? String ?? "?"):\($0["rule"] as? String ?? "?")" })
        let kinds = Set(discrepancies.compactMap { $0["kind"] as? String })
        guard found == expected, discrepancies.count == expected.count, kinds.isSubset(of: ["mismatch"]) else {
            throw BenchError("run \(runId) found \(discrepancies.count) discrepancies (\(kinds.sorted())), expected \(expected.count) mismatches; "
                + "unexpected: \(found.subtracting(expected).sorted().prefix(5)), not found: \(expected.subtracting(found).sorted().prefix(5))")
        }
    }

    /// The incremental report says it was one, from the previous run's block, and why it checked what it did.
    static func checkCoverage(_ report: [String: Any], plan: ChangePlan, streams: Int, previous: [String: Any]) throws {
        let coverage = report["coverage"] as? [String: Any] ?? [:]
        let previousBlock = (previous["source"] as? [String: Any])?["chainBlock"] as? Int ?? -1
        let block = (report["source"] as? [String: Any])?["chainBlock"] as? Int ?? -1
        let expected: [String: Int] = ["dbRows": streams, "changedOnChain": plan.onChain.count, "changedInDB": plan.inDBOnly.count,
                                       "carried": 0, "sampled": 0, "logs": plan.onChain.count, "fromBlock": previousBlock + 1, "toBlock": block]
        let wrong = expected.filter { coverage[$0.key] as? Int != $0.value }.keys.sorted()
        guard report["mode"] as? String == "incremental", coverage["previousRunId"] as? String == previous["runId"] as? String, wrong.isEmpty else {
            throw BenchError("the incremental run's mode is \(report["mode"] ?? "none"), coverage \(coverage); wrong: \(wrong), expected \(expected)")
        }
    }
}
