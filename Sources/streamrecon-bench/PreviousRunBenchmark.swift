import Foundation
import GRDB

/// `streamrecon-bench run --previous [--streams N] [--small N] [--pairs N] [--keep]`: what comparing
/// a run with the previous one costs. It generates `run`'s synthetic data at N streams (about 6%
/// of them discrepancies) and at `--small` streams, records one run of the N streams into a
/// store of its own (`previous.sqlite`), then times the release `streamrecon run … --store`
/// (the binary beside this one) in rounds of five:
///
/// - A: N streams into a fresh copy of `previous.sqlite`: every discrepancy is `persisting`;
/// - B: N streams into a new, empty store: every discrepancy is `new`;
/// - A small: `--small` streams into a fresh copy of the same `previous.sqlite`, so the run
///   compares with N streams' discrepancies (those of its own streams persist, the rest resolve);
/// - B small: `--small` streams into a new, empty store;
/// - C: N streams into a fresh copy of `previous.sqlite` whose stored fingerprints were all
///   changed: every discrepancy is `new` and every one of the previous run's is `resolved`, the
///   most a run of N streams has to hold and report about the previous one.
///
/// Each run's peak RSS is `/usr/bin/time`'s `%M`: the run's parent is `time`, a small process,
/// so exec folds nothing of this one's RSS into it (see `PostgresBenchmark.measure`). Run from
/// the repository root.
enum PreviousRunBenchmark {
    struct DataSet {
        let streams: Int
        let directory: URL
        var app: String { directory.appendingPathComponent("app.sqlite").path }
        var chain: String { directory.appendingPathComponent("chain.json").path }
        var report: String { directory.appendingPathComponent("report.json").path }
        var store: String { directory.appendingPathComponent("store.sqlite").path }
    }

    struct Timing {
        var seconds: Double, cpuSeconds: Double, peakKB: Int
    }

    static func run() throws {
        let count = option("--streams", default: 1_000_000)
        let smallCount = option("--small", default: 100_000)
        let pairs = option("--pairs", default: 5)
        let directory = try scratchDirectory()
        let keep = CommandLine.arguments.contains("--keep")
        defer { if keep { print("kept the data in \(directory.path)") } else { try? FileManager.default.removeItem(at: directory) } }
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("streamrecon").path
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw BenchError("build it first: swift build -c release --product streamrecon") }

        let large = try dataSet(count, in: directory, "large")
        let small = try dataSet(smallCount, in: directory, "small")
        let previous = directory.appendingPathComponent("previous.sqlite").path
        let first = try timed(binary, large, store: previous)
        let baseline = try check(large, .allNew)
        let changed = directory.appendingPathComponent("changed.sqlite").path
        try FileManager.default.copyItem(atPath: previous, toPath: changed)
        let queue = try DatabaseQueue(path: changed)
        // Not hex: no fingerprint of tonight's run is one of these.
        try queue.write { try $0.execute(sql: "UPDATE reconciliation_discrepancies SET fingerprint = 'g' || substr(fingerprint, 2)") }
        try queue.close()
        print(String(format: "previous run (%d streams, new store): %.2f s, peak RSS %.0f MB; its discrepancies, the baseline: %d",
                     count, first.seconds, Double(first.peakKB) / 1024, baseline.discrepancies))

        var timings: [String: [Timing]] = [:]
        for round in 1...pairs {
            let runs: [(String, DataSet, String?, Expected)] = [("A", large, previous, .allPersisting), ("B", large, nil, .allNew),
                                                                ("A small", small, previous, .allPersisting), ("B small", small, nil, .allNew),
                                                                ("C", large, changed, .allNewAllResolved)]
            for (label, data, from, expected) in runs {
                try? FileManager.default.removeItem(atPath: data.store)
                if let from { try copyToDisk(from, data.store) }
                let timing = try timed(binary, data, store: data.store)
                let summary = try check(data, expected)
                timings[label, default: []].append(timing)
                print("round \(round) " + padded(label) + String(format: " %7d streams: %5.2f s  cpu %5.2f s  peak RSS %4.0f MB  new %d persisting %d resolved %d",
                             data.streams, timing.seconds, timing.cpuSeconds, Double(timing.peakKB) / 1024,
                             summary.new, summary.persisting, summary.resolved))
            }
        }
        print("medians of \(pairs) rounds (A, C: a store holding the previous run of \(count) streams, \(baseline.discrepancies) discrepancies; B: an empty store):")
        for (label, streams) in [("A", count), ("B", count), ("A small", smallCount), ("B small", smallCount), ("C", count)] {
            let runs = timings[label] ?? []
            print("  " + padded(label) + String(format: " %7d streams: %5.2f s  cpu %5.2f s  peak RSS %4.0f MB (%.0f–%.0f)", streams,
                         median(runs.map(\.seconds)), median(runs.map(\.cpuSeconds)), median(runs.map { Double($0.peakKB) }) / 1024,
                         Double(runs.map(\.peakKB).min() ?? 0) / 1024, Double(runs.map(\.peakKB).max() ?? 0) / 1024))
        }
        for (a, b) in [("A", "B"), ("A small", "B small"), ("C", "B")] {
            let ratios = zip(timings[a] ?? [], timings[b] ?? []).map { $0.seconds / $1.seconds }
            let memory = zip(timings[a] ?? [], timings[b] ?? []).map { Double($0.peakKB - $1.peakKB) / 1024 }
            print("  \(a) / \(b) wall, median of the pairs: " + String(format: "%.3f (%.3f–%.3f)", median(ratios), ratios.min() ?? 0, ratios.max() ?? 0)
                  + "; peak RSS \(a) − \(b), median: " + String(format: "%+.0f MB", median(memory)))
        }
    }

    /// Copies a store and writes the copy to disk: left in the page cache, the run's first
    /// commit would wait for the whole file to be written (last night's store is on disk).
    static func copyToDisk(_ source: String, _ destination: String) throws {
        try FileManager.default.copyItem(atPath: source, toPath: destination)
        guard let file = FileHandle(forUpdatingAtPath: destination) else { throw BenchError("cannot open \(destination)") }
        try file.synchronize()
        try file.close()
    }

    static func dataSet(_ streams: Int, in directory: URL, _ name: String) throws -> DataSet {
        let data = DataSet(streams: streams, directory: directory.appendingPathComponent(name))
        try FileManager.default.createDirectory(at: data.directory, withIntermediateDirectories: true)
        let compare = data.directory.appendingPathComponent("compare.sqlite").path
        let generation = try seconds { try RunBenchmark.generate(streams, app: data.app, chain: data.chain, compare: compare) }
        try FileManager.default.removeItem(atPath: compare)
        print(String(format: "generated %d streams in %.1f s", streams, generation))
        return data
    }

    /// `streamrecon run` over `data`, recorded in `store`, under `/usr/bin/time`.
    static func timed(_ binary: String, _ data: DataSet, store: String) throws -> Timing {
        let usage = data.directory.appendingPathComponent("time.txt").path
        let arguments = ["-f", "%M %U %S", "-o", usage, binary, "run", "--rules", "Fixtures/four-field-rules.yaml", "--db", data.app,
                         "--chain", data.chain, "--store", store, "--format", "json", "--output", data.report]
        let (elapsed, status) = try RunBenchmark.time("/usr/bin/time", arguments)
        guard status == 1 else { throw BenchError("streamrecon exited \(status); expected 1 (drift)") }
        let fields = try String(contentsOfFile: usage, encoding: .utf8).split(whereSeparator: \.isWhitespace)
        guard fields.count >= 3, let peak = Int(fields[fields.count - 3]), let user = Double(fields[fields.count - 2]),
              let system = Double(fields[fields.count - 1]) else { throw BenchError("cannot read \(usage)") }
        return Timing(seconds: elapsed, cpuSeconds: user + system, peakKB: peak)
    }

    struct Summary {
        var discrepancies: Int, new: Int, persisting: Int, resolved: Int
    }

    enum Expected {
        /// No previous run.
        case allNew
        /// Every discrepancy persists (the previous run's others resolve).
        case allPersisting
        /// Every discrepancy is new, and every one of the previous run's resolved.
        case allNewAllResolved
    }

    /// The report's counts, checked against what `expected` says.
    static func check(_ data: DataSet, _ expected: Expected) throws -> Summary {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: data.report))) as? [String: Any]
        let summary = object?["summary"] as? [String: Any]
        let byStatus = summary?["byStatus"] as? [String: Int] ?? [:]
        let counts = Summary(discrepancies: summary?["discrepancies"] as? Int ?? -1, new: byStatus["new"] ?? -1,
                             persisting: byStatus["persisting"] ?? -1, resolved: byStatus["resolved"] ?? -1)
        let (new, persisting) = expected == .allPersisting ? (0, counts.discrepancies) : (counts.discrepancies, 0)
        guard counts.discrepancies > 0, counts.new == new, counts.persisting == persisting,
              expected != .allNewAllResolved || counts.resolved > 0, (object?["previousRunId"] is String) == (expected != .allNew) else {
            throw BenchError("unexpected report for \(data.streams) streams (expected \(expected)): \(summary ?? [:])")
        }
        return counts
    }

    static func padded(_ label: String) -> String {
        label + String(repeating: " ", count: max(0, 8 - label.count))
    }

    static func median(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.sorted()[values.count / 2]
    }
}
