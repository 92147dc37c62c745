import Foundation

// Benchmarks, release build, from the repository root:
//   swift run -c release streamrecon-bench engine [--fields 1000] [--invariants 200] [--pairs 1000000]
//   swift run -c release streamrecon-bench run [--streams 1000000]
//   swift build -c release && .build/release/streamrecon-bench run --previous [--streams 1000000] [--small 100000] [--pairs 5]
//   swift build -c release --product streamrecon && swift run -c release streamrecon-bench postgres [--streams 1000000] [--batch-size 1000,10000]
//   swift build -c release && .build/release/streamrecon-bench serve [--requests 1000] [--unauthenticated 10000] [--clients 16]
//   swift build -c release && .build/release/streamrecon-bench rpc [--streams 10000] [--delay-ms 5] [--batch-size 200]
//   swift build -c release && .build/release/streamrecon-bench rpc --incremental [--streams 100000] [--rps 25] [--latency-ms 20] [--changed-pct 1]
//   swift build -c release && .build/release/streamrecon-bench rules-test [--fields 1000] [--invariants 200] [--cases 1000]
// Figures and commands are recorded in docs/performance.md.

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func option(_ name: String, default value: Int) -> Int {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let number = Int(arguments[index + 1]) else { return value }
    return number
}

func option(_ name: String, default value: Double) -> Double {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let number = Double(arguments[index + 1]) else { return value }
    return number
}

/// Seconds since `start`, as a Double.
func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    return seconds(since: start)
}

func seconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    return seconds(since: start)
}

/// The median of several timings of `body`, in seconds.
func median(repetitions: Int, _ body: () -> Void) -> Double {
    (0..<repetitions).map { _ in seconds(body) }.sorted()[repetitions / 2]
}

func scratchDirectory() throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamrecon-bench-\(getpid())-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

do {
    switch CommandLine.arguments.dropFirst().first {
    case "engine": try EngineBenchmark.run()
    case "run" where CommandLine.arguments.contains("--previous"): try PreviousRunBenchmark.run()
    case "run": try RunBenchmark.run()
    case "postgres": try PostgresBenchmark.run()
    case "phases": try await PhaseBenchmark.run()
    case "serve": try await ServeBenchmark.run()
    case "rpc" where CommandLine.arguments.contains("--incremental"): try await IncrementalRPCBenchmark.run()
    case "rpc": try await RPCBenchmark.run()
    case "rules-test": try RuleTestBenchmark.run()
    default:
        print("""
            usage: streamrecon-bench engine [--fields N] [--invariants N] [--pairs N]
                   streamrecon-bench run [--streams N] [--keep]
                   streamrecon-bench run --previous [--streams N] [--small N] [--pairs N] [--keep]   (from the repository root)
                   streamrecon-bench phases DIR   (a directory kept by run --keep)
                   streamrecon-bench postgres [--streams N] [--batch-size N[,N…]] [--keep]   (from the repository root; needs PostgreSQL and psql)
                   streamrecon-bench serve [--requests N] [--unauthenticated N] [--clients N]   (from the repository root)
                   streamrecon-bench rpc [--streams N] [--delay-ms N] [--batch-size N]
                   streamrecon-bench rpc --incremental [--streams N] [--rps N] [--latency-ms N] [--changed-pct PCT] [--blocks N] [--max-log-range N] [--batch-size N] [--page-size N]
                   streamrecon-bench rules-test [--fields N] [--invariants N] [--cases N]   (from the repository root)
            """)
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
