import Foundation
import ReconEngine

/// `streamrecon-bench engine [--fields N] [--invariants N] [--pairs N]`: compiling and linting a
/// large rules file, and applying a compiled rule set to in-memory stream pairs.
enum EngineBenchmark {
    static func run() throws {
        let fieldCount = option("--fields", default: 1000)
        let invariantCount = option("--invariants", default: 200)
        let pairCount = option("--pairs", default: 1_000_000)
        let yaml = syntheticRules(fields: fieldCount, invariants: invariantCount)
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let rulesPath = directory.appendingPathComponent("bench.yaml").path
        try yaml.write(toFile: rulesPath, atomically: true, encoding: .utf8)

        let compiler = RulesCompiler()
        let check = compiler.compile(yaml: yaml, file: rulesPath)
        guard check.diagnostics.isEmpty, check.ruleSet != nil else { throw BenchError(check.diagnostics.map(\.description).joined(separator: "\n")) }
        let compileMs = median(repetitions: 7) { _ = compiler.compile(path: rulesPath) }
        let lintMs = median(repetitions: 7) { _ = try? Linter(compiler: compiler).lint(paths: [rulesPath]) }

        let demo = try compiler.load(path: "Rules/streams.yaml")
        let address = "0x52908400098527886E0F7030069857D2E4169EE7"
        let rows: [(db: [RawValue], chain: [RawValue])] = (0..<1000).map { index in
            let total = 1_000_000 + index, released = index * 100
            let drift = index % 100 == 0
            return ([.text(String(total)), .text(String(released)), "active", .text(address)],
                    [.integer(Int64(total)), .text(String(drift ? released + 1 : released)), .integer(1), .text(address.lowercased())])
        }
        var findings: [Finding] = []
        let applySeconds = seconds {
            for index in 0..<pairCount {
                let row = rows[index % rows.count]
                demo.reconcile(streamId: "s", db: row.db, chain: row.chain, into: &findings)
            }
        }
        print("rules file: \(fieldCount) fields, \(invariantCount) invariants, \(yaml.utf8.count) bytes")
        print(String(format: "compile (read + parse + compile), median of 7: %8.2f ms", compileMs * 1000))
        print(String(format: "lint, median of 7:                             %8.2f ms", lintMs * 1000))
        print(String(format: "apply Rules/streams.yaml to %d pairs: %.3f s, %.0f pairs/s, %d findings", pairCount, applySeconds,
                     Double(pairCount) / applySeconds, findings.count))
    }

    /// A rules file with `fields` fields of every type and `invariants` invariants over them.
    static func syntheticRules(fields: Int, invariants: Int) -> String {
        var text = "version: 1\nname: bench\nkey: { db: id, chain: id }\ndb: { table: streams }\nfields:\n"
        for index in 0..<fields {
            switch index % 4 {
            case 0: text += "  amount_\(index):\n    type: amount\n    chain: chain_amount_\(index)\n    compare: { tolerance: 5 }\n"
            case 1: text += "  status_\(index):\n    type: enum\n    values: [pending, active, done]\n    compare:\n      map: { \"0\": pending, \"1\": active, \"2\": done }\n"
            case 2: text += "  owner_\(index):\n    type: address\n    severity: warning\n"
            default: text += "  count_\(index):\n    type: integer\n    db: count_column_\(index)\n"
            }
        }
        text += "invariants:\n"
        for index in 0..<invariants {
            let a = (index * 4) % fields, b = (index * 4 + 4) % fields
            text += "  inv_\(index):\n    on: [db, chain]\n    assert: amount_\(a) >= 0 and amount_\(a) - amount_\(b) <= 1000000 or not status_\(a + 1) == 'done'\n"
            text += "    when: abs(amount_\(b)) > 0\n"
        }
        return text
    }
}
