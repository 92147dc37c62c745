import Foundation
import ReconEngine

// Benchmarks of the rule engine, release build:
//   swift run -c release streamrecon-bench [--fields N] [--invariants N] [--pairs N]
// Compiling and linting a large rules file, and applying a compiled rule set to stream pairs.

let arguments = CommandLine.arguments
func option(_ name: String, default value: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let number = Int(arguments[index + 1]) else { return value }
    return number
}
let fieldCount = option("--fields", default: 1000)
let invariantCount = option("--invariants", default: 200)
let pairCount = option("--pairs", default: 1_000_000)
let repetitions = 7

/// A rules file with `fields` fields of every type and `invariants` invariants over them.
func syntheticRules(fields: Int, invariants: Int) -> String {
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

/// Median wall time of `body` over the repetitions, in milliseconds.
func medianMilliseconds(_ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    var samples: [Double] = []
    for _ in 0..<repetitions {
        let elapsed = clock.measure(body)
        samples.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
    }
    return samples.sorted()[repetitions / 2]
}

let yaml = syntheticRules(fields: fieldCount, invariants: invariantCount)
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamrecon-bench-\(getpid())")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
let rulesPath = directory.appendingPathComponent("bench.yaml").path
try yaml.write(toFile: rulesPath, atomically: true, encoding: .utf8)

let compiler = RulesCompiler()
let check = compiler.compile(yaml: yaml, file: rulesPath)
guard check.diagnostics.isEmpty, check.ruleSet != nil else {
    print(check.diagnostics.map(\.description).joined(separator: "\n"))
    exit(1)
}
let compileMs = medianMilliseconds { _ = compiler.compile(path: rulesPath) }
let lintMs = medianMilliseconds { _ = try? Linter(compiler: compiler).lint(paths: [rulesPath]) }

// Applying: the SPEC demo rules over synthetic pairs, ~1% of them drifting.
let demo = compiler.compile(yaml: """
    version: 1
    name: payment-streams
    key: { db: id, chain: id }
    db: { table: streams }
    fields:
      total_amount: { type: amount, chain: deposited }
      released_amount: { type: amount, chain: withdrawn }
      status:
        type: enum
        values: [pending, active, completed, cancelled]
        chain: state
        compare: { map: { "0": pending, "1": active, "2": completed, "3": cancelled } }
      recipient: { type: address }
    invariants:
      non-negative-balances: { assert: total_amount >= 0 and released_amount >= 0 }
      released-within-total: { assert: released_amount <= total_amount }
    """, file: "demo.yaml").ruleSet!
let address = "0x52908400098527886E0F7030069857D2E4169EE7"
let rows: [(db: [RawValue], chain: [RawValue])] = (0..<1000).map { index in
    let total = 1_000_000 + index, released = index * 100
    let drift = index % 100 == 0
    return ([.text(String(total)), .text(String(released)), "active", .text(address)],
            [.integer(Int64(total)), .text(String(drift ? released + 1 : released)), .integer(1), .text(address.lowercased())])
}
var findings: [Finding] = []
findings.reserveCapacity(pairCount / 50)
let clock = ContinuousClock()
let applyElapsed = clock.measure {
    for index in 0..<pairCount {
        let row = rows[index % rows.count]
        ruleSetApply: do {
            demo.reconcile(streamId: "s", db: row.db, chain: row.chain, into: &findings)
        }
    }
}
let applySeconds = Double(applyElapsed.components.seconds) + Double(applyElapsed.components.attoseconds) / 1e18

print("rules file: \(fieldCount) fields, \(invariantCount) invariants, \(yaml.utf8.count) bytes")
print(String(format: "compile (read + parse + compile), median of %d: %8.2f ms", repetitions, compileMs))
print(String(format: "lint, median of %d:                          %8.2f ms", repetitions, lintMs))
print(String(format: "apply demo rules to %d pairs: %.3f s, %.0f pairs/s, %d findings", pairCount, applySeconds,
             Double(pairCount) / applySeconds, findings.count))
