import Foundation

/// `streamrecon-bench rules-test [--fields 1000] [--invariants 200] [--cases 1000]`: writes the
/// engine benchmark's synthetic rules file and a test file of cases over it (each naming four
/// fields on both sides, one in ten drifting past a tolerance), and times the release
/// `streamrecon rules test` on it end to end (median of 5, after one warm-up). Run from the
/// repository root after `swift build -c release --product streamrecon`.
enum RuleTestBenchmark {
    static func run() throws {
        let fieldCount = option("--fields", default: 1000)
        let invariantCount = option("--invariants", default: 200)
        let caseCount = option("--cases", default: 1000)
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try EngineBenchmark.syntheticRules(fields: fieldCount, invariants: invariantCount)
            .write(to: directory.appendingPathComponent("bench.yaml"), atomically: true, encoding: .utf8)
        let tests = directory.appendingPathComponent("bench.test.yaml")
        try cases(caseCount, fields: fieldCount).write(to: tests, atomically: true, encoding: .utf8)
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("streamrecon").path
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw BenchError("build it first: swift build -c release --product streamrecon") }
        let arguments = ["rules", "test", tests.path]
        let (_, status) = try RunBenchmark.time(binary, arguments)
        guard status == 0 else { throw BenchError("streamrecon rules test exited \(status); every case should pass") }
        var timings: [Double] = []
        for _ in 0..<5 { timings.append(try RunBenchmark.time(binary, arguments).0) }
        let size = (try? FileManager.default.attributesOfItem(atPath: tests.path)[.size] as? Int) ?? 0
        print("rules file: \(fieldCount) fields, \(invariantCount) invariants; test file: \(caseCount) cases, \(size) bytes")
        print(String(format: "streamrecon rules test, median of 5: %.3f s (min %.3f, max %.3f)", timings.sorted()[2], timings.min()!, timings.max()!))
    }

    /// Case `index` names amount, enum, address and integer fields of one group of four on both
    /// sides; one case in ten is 10 base units off an amount whose tolerance is 5.
    static func cases(_ count: Int, fields: Int) -> String {
        var text = "rules: bench.yaml\ncases:\n"
        let address = "0x52908400098527886E0F7030069857D2E4169EE7"
        for index in 0..<count {
            let group = (index * 4) % max(4, fields - fields % 4)
            let drift = index % 10 == 0
            text += "  - name: case \(index)\n"
            text += "    db: { id: s\(index), amount_\(group): \"1000\", status_\(group + 1): active, owner_\(group + 2): \"\(address)\", count_column_\(group + 3): 7 }\n"
            text += "    chain: { id: s\(index), chain_amount_\(group): \(drift ? 1010 : 1003), status_\(group + 1): 1, owner_\(group + 2): \"\(address.lowercased())\", count_\(group + 3): 7 }\n"
            text += drift ? "    expect: [{ kind: mismatch, field: amount_\(group) }]\n" : "    expect: []\n"
        }
        return text
    }
}
