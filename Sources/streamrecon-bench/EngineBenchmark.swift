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

        let demo = try compiler.load(path: "Fixtures/four-field-rules.yaml")
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
        // The same four fields with every key of SPEC §10: amounts in token units with decimals, every field nullable.
        let compiled = compiler.compile(yaml: realSchemaRules, file: "real-schema.yaml")
        guard let schema = compiled.ruleSet, compiled.diagnostics.isEmpty else {
            throw BenchError(compiled.diagnostics.map(\.description).joined(separator: "\n"))
        }
        let schemaRows: [(db: [RawValue], chain: [RawValue])] = (0..<1000).map { index in
            let total = 1_000_000 + index, released = index * 100
            let drift = index % 100 == 0
            let db: [RawValue] = [.decimal(tokens(total)), .decimal(tokens(released)), "active", index % 2 == 0 ? .text(address) : .null]
            return (db, [.integer(Int64(total)), .text(String(drift ? released + 1 : released)), .integer(1),
                         index % 2 == 0 ? .text(address.lowercased()) : .null])
        }
        var schemaFindings: [Finding] = []
        let schemaSeconds = seconds {
            for index in 0..<pairCount {
                let row = schemaRows[index % schemaRows.count]
                schema.reconcile(streamId: "s", db: row.db, chain: row.chain, into: &schemaFindings)
            }
        }
        print("rules file: \(fieldCount) fields, \(invariantCount) invariants, \(yaml.utf8.count) bytes")
        print(String(format: "compile (read + parse + compile), median of 7: %8.2f ms", compileMs * 1000))
        print(String(format: "lint, median of 7:                             %8.2f ms", lintMs * 1000))
        print(String(format: "apply Fixtures/four-field-rules.yaml to %d pairs: %.3f s, %.0f pairs/s, %d findings", pairCount, applySeconds,
                     Double(pairCount) / applySeconds, findings.count))
        print(String(format: "apply them with decimals and nullable to %d pairs: %.3f s, %.0f pairs/s, %d findings", pairCount, schemaSeconds,
                     Double(pairCount) / schemaSeconds, schemaFindings.count))
    }

    /// Base units as token units with six decimals: 1500000 is "1.500000".
    static func tokens(_ base: Int) -> String {
        let fraction = String(base % 1_000_000)
        return "\(base / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
    }

    /// Fixtures/four-field-rules.yaml with every amount in token units and every field nullable.
    static let realSchemaRules = """
        version: 1
        name: real-schema
        key: { db: id, chain: id }
        db: { table: streams }
        fields:
          total_amount: { type: amount, chain: deposited, nullable: true, decimals: { db: 6 } }
          released_amount: { type: amount, chain: withdrawn, nullable: true, decimals: { db: 6 } }
          status:
            type: enum
            values: [pending, active, completed, cancelled]
            chain: state
            nullable: true
            compare: { map: { "0": pending, "1": active, "2": completed, "3": cancelled } }
          recipient: { type: address, nullable: true }
        invariants:
          non-negative-balances:
            assert: total_amount is null or released_amount is null or total_amount >= 0 and released_amount >= 0
          released-within-total:
            assert: total_amount is null or released_amount is null or released_amount <= total_amount
        """

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
