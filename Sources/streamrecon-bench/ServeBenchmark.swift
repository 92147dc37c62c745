import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Load and faults against the real `streamrecon serve` on the demo: authenticated dry runs from
/// concurrent clients (each must get 200 or 409), then unauthenticated requests (each must get
/// 401), with the server's resident memory before, after and once idle again.
enum ServeBenchmark {
    struct Tally {
        var statuses: [Int: Int] = [:]
        var failures: [String] = []
        var latencies: [Double] = []

        mutating func merge(_ other: Tally) {
            statuses.merge(other.statuses, uniquingKeysWith: +)
            failures += other.failures
            latencies += other.latencies
        }

        func percentile(_ p: Double) -> Double {
            let sorted = latencies.sorted()
            return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
        }
    }

    static func run() async throws {
        let authenticated = option("--requests", default: 1000)
        let unauthenticated = option("--unauthenticated", default: 10000)
        let clients = option("--clients", default: 16)
        let token = "bench-" + UUID().uuidString
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("streamrecon")
        let scratch = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let server = try startServer(binary: binary, token: token, log: scratch.appendingPathComponent("serve.log"))
        defer { server.process.terminate(); server.process.waitUntilExit() }
        print("streamrecon serve (pid \(server.process.processIdentifier)) on 127.0.0.1:\(server.port), demo data, \(clients) clients")

        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = clients
        configuration.timeoutIntervalForRequest = 30
        let session = URLSession(configuration: configuration)
        let base = "http://127.0.0.1:\(server.port)/api/internal/reconciliation"
        @Sendable func dryRun() -> URLRequest {
            var request = URLRequest(url: URL(string: base)!)
            request.httpMethod = "POST"
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            request.httpBody = Data(#"{"dryRun":true}"#.utf8)
            return request
        }

        let started = rss(server.process.processIdentifier)
        _ = try await load(session: session, count: 20, clients: 4) { _ in dryRun() } // warm-up: first-run allocations
        let warm = rss(server.process.processIdentifier)

        // Several rounds: memory that returns to its level shows as a flat line across them.
        var unexpected = 0
        for round in 1...option("--rounds", default: 3) {
            print("round \(round)")
            var dry = Tally(), refused = Tally()
            var wall = try await seconds { dry = try await load(session: session, count: authenticated, clients: clients) { _ in dryRun() } }
            report("  authenticated dry runs", dry, wall: wall)
            let afterDry = rss(server.process.processIdentifier)
            wall = try await seconds {
                refused = try await load(session: session, count: unauthenticated, clients: clients) { index in
                    var request = URLRequest(url: URL(string: index % 2 == 0 ? base : base + "/runs/latest")!)
                    request.httpMethod = index % 2 == 0 ? "POST" : "GET"
                    if index % 3 == 1 { request.setValue("Bearer wrong-\(index)-\(token)", forHTTPHeaderField: "Authorization") }
                    return request
                }
            }
            report("  unauthenticated", refused, wall: wall)
            let afterLoad = rss(server.process.processIdentifier)
            try await Task.sleep(for: .seconds(2))
            print("  server RSS: after dry runs \(mb(afterDry)), after unauthenticated \(mb(afterLoad)), "
                  + "idle 2 s later \(mb(rss(server.process.processIdentifier)))")
            unexpected += dry.statuses.filter { ![200, 409].contains($0.key) }.values.reduce(0, +)
                + refused.statuses.filter { $0.key != 401 }.values.reduce(0, +) + dry.failures.count + refused.failures.count
        }
        print("server RSS at start \(mb(started)), after a 20-run warm-up \(mb(warm))")
        guard unexpected == 0 else { throw BenchError("\(unexpected) requests failed or got an unexpected status") }
        print("every request got an expected status; none failed or hung")
    }

    private static func load(session: URLSession, count: Int, clients: Int,
                             _ makeRequest: @escaping @Sendable (Int) -> URLRequest) async throws -> Tally {
        try await withThrowingTaskGroup(of: Tally.self) { group in
            for client in 0..<clients {
                group.addTask {
                    var tally = Tally()
                    for index in stride(from: client, to: count, by: clients) {
                        let start = ContinuousClock.now
                        do {
                            let (_, response) = try await session.data(for: makeRequest(index))
                            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                            tally.statuses[status, default: 0] += 1
                        } catch {
                            tally.failures.append("\(error)")
                        }
                        tally.latencies.append(seconds(since: start))
                    }
                    return tally
                }
            }
            var total = Tally()
            for try await tally in group { total.merge(tally) }
            return total
        }
    }


    private static func report(_ name: String, _ tally: Tally, wall: Double) {
        let total = tally.latencies.count
        let statuses = tally.statuses.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        print(String(format: "%@: %d requests in %.2f s (%.0f/s), p50 %.1f ms, p99 %.1f ms, max %.1f ms; statuses {%@}; transport failures %d",
                     name, total, wall, Double(total) / wall, tally.percentile(0.5) * 1000, tally.percentile(0.99) * 1000,
                     (tally.latencies.max() ?? 0) * 1000, statuses, tally.failures.count))
        for failure in tally.failures.prefix(3) { print("  failure: \(failure)") }
    }

    private static func startServer(binary: URL, token: String, log: URL) throws -> (process: Process, port: Int) {
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--port", "0", "--log-level", "notice"]
        var environment = ProcessInfo.processInfo.environment
        environment["STREAMRECON_INTERNAL_TOKEN"] = token
        environment.removeValue(forKey: "STREAMRECON_INTERNAL_TOKEN_FILE")
        process.environment = environment
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<1000 {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.contains(#""message":"listening""#) }),
               let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String],
               let port = object["address"]?.split(separator: ":").last.flatMap({ Int($0) }) {
                return (process, port)
            }
            guard process.isRunning else { throw BenchError("streamrecon serve exited: \(text)") }
            Thread.sleep(forTimeInterval: 0.01)
        }
        process.terminate()
        throw BenchError("streamrecon serve did not start listening")
    }

    /// Resident memory of a process, in bytes, from /proc.
    private static func rss(_ pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) else { return 0 }
        return kilobytes * 1024
    }

    private static func mb(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_048_576) }
}
