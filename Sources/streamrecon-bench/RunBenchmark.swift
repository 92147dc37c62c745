import Foundation
import GRDB

/// `streamrecon-bench run [--streams N] [--keep]`: generates N synthetic streams with about 1% drift of
/// every kind into an SQLite app DB and a chain snapshot, times `streamrecon run` end to end
/// (the release binary beside this one), and times the `sqlite3` shell joining the same two
/// data sets held as SQLite tables and comparing the same columns. Run from the repository root.
enum RunBenchmark {
    static func run() throws {
        let count = option("--streams", default: 1_000_000)
        let directory = try scratchDirectory()
        let keep = CommandLine.arguments.contains("--keep")
        defer { if keep { print("kept the data in \(directory.path)") } else { try? FileManager.default.removeItem(at: directory) } }
        let app = directory.appendingPathComponent("app.sqlite").path
        let chain = directory.appendingPathComponent("chain.json").path
        let compare = directory.appendingPathComponent("compare.sqlite").path
        let generation = try seconds { try generate(count, app: app, chain: chain, compare: compare) }
        print(String(format: "generated %d streams in %.1f s (chain snapshot %.1f MB)", count, generation,
                     Double((try? FileManager.default.attributesOfItem(atPath: chain)[.size] as? Int) ?? 0) / 1e6))

        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("streamrecon").path
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw BenchError("build it first: swift build -c release --product streamrecon") }
        let report = directory.appendingPathComponent("report.json").path
        let (reconSeconds, reconStatus) = try time(binary, ["run", "--rules", "Fixtures/four-field-rules.yaml", "--db", app, "--chain", chain,
                                                            "--format", "json", "--output", report])
        let peakKB = childrenPeakRSSKilobytes()
        guard reconStatus == 1 else { throw BenchError("streamrecon exited \(reconStatus); expected 1 (drift)") }
        let summary = try summaryLine(report)

        let query = directory.appendingPathComponent("compare.sql").path
        try compareSQL.write(toFile: query, atomically: true, encoding: .utf8)
        let sqlite3 = "/usr/bin/sqlite3"
        guard FileManager.default.isExecutableFile(atPath: sqlite3) else { throw BenchError("install the sqlite3 shell: apt-get install sqlite3") }
        _ = try time(sqlite3, [compare, ".read \(query)"]) // warm the page cache as the first run warmed it for streamrecon
        let (sqliteSeconds, _) = try time(sqlite3, [compare, ".read \(query)"])

        print(String(format: "streamrecon run:  %6.2f s  %9.0f pairs/s  peak RSS %.0f MB", reconSeconds, Double(count) / reconSeconds, Double(peakKB) / 1024))
        print("  \(summary)")
        print(String(format: "sqlite3 join:     %6.2f s", sqliteSeconds))
        print(String(format: "ratio streamrecon / sqlite3: %.2f", reconSeconds / sqliteSeconds))
    }

    /// Stream `index` on both sides: the one definition the app DB, the snapshot and the
    /// comparison tables are all written from. Kind 1 mismatches, 2 is missing on chain, 3 missing
    /// from the DB, 4 breaks released <= total on both sides, 5 has an unparseable DB amount.
    struct Synthetic {
        let id: String, total: Int, dbReleased: Int, withdrawn: Int, state: Int, kind: Int

        init(_ index: Int) {
            id = String(format: "s%08d", index)
            total = 1_000_000_000_000 + index
            let released = index % 4 == 0 ? 0 : total / (index % 4 + 1)
            state = index % 4
            kind = index % 100
            dbReleased = kind == 4 ? total + 1 : released
            withdrawn = kind == 1 ? released + 1 : dbReleased
        }

        var inDB: Bool { kind != 3 }
        var onChain: Bool { kind != 2 }
    }

    static let states = ["pending", "active", "completed", "cancelled"]
    /// Every stream's recipient: lowercase on chain, uppercase hex digits in the DB (equal as addresses).
    static let address = "0x52908400098527886e0f7030069857d2e4169ee7"
    static let dbAddress = address.uppercased().replacingOccurrences(of: "0X", with: "0x")

    /// One record of the chain snapshot's `records` array, as JSON.
    static func chainRecord(_ stream: Synthetic) -> String {
        "{\"id\":\"\(stream.id)\",\"deposited\":\"\(stream.total)\",\"withdrawn\":\"\(stream.withdrawn)\","
            + "\"state\":\(stream.state),\"recipient\":\"\(address)\"}"
    }

    /// Streams `s0000001`...; every hundredth of each kind drifts.
    static func generate(_ count: Int, app: String, chain: String, compare: String) throws {
        guard FileManager.default.createFile(atPath: chain, contents: nil) else { throw BenchError("cannot create \(chain)") }
        let json = try FileHandle(forWritingTo: URL(fileURLWithPath: chain))
        var buffer = "{\"blockNumber\": 19000000, \"records\": [\n"
        var first = true
        let queue = try DatabaseQueue(path: app)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE streams (id TEXT PRIMARY KEY NOT NULL, recipient TEXT NOT NULL, total_amount TEXT NOT NULL,
                    released_amount TEXT NOT NULL, status TEXT NOT NULL)
                """)
            let insert = try db.makeStatement(sql: "INSERT INTO streams VALUES (?, ?, ?, ?, ?)")
            for index in 0..<count {
                let stream = Synthetic(index)
                if stream.inDB {
                    try insert.execute(arguments: [stream.id, dbAddress,
                                                   stream.kind == 5 ? "12x" : String(stream.total), String(stream.dbReleased), states[stream.state]])
                }
                if stream.onChain {
                    buffer += (first ? "" : ",\n") + chainRecord(stream)
                    first = false
                    if buffer.utf8.count > 1 << 20 {
                        json.write(Data(buffer.utf8))
                        buffer = ""
                    }
                }
            }
        }
        json.write(Data((buffer + "\n]}\n").utf8))
        try json.close()
        try queue.close()

        let comparison = try DatabaseQueue(path: compare)
        try comparison.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS app", arguments: [app])
            try db.execute(sql: "CREATE TABLE streams AS SELECT * FROM app.streams")
            try db.execute(sql: "CREATE UNIQUE INDEX streams_id ON streams(id)")
            try db.execute(sql: "DETACH DATABASE app")
            try db.execute(sql: "CREATE TABLE chain (id TEXT PRIMARY KEY NOT NULL, deposited TEXT, withdrawn TEXT, state INTEGER, recipient TEXT)")
            try db.inTransaction {
                let insert = try db.makeStatement(sql: "INSERT INTO chain VALUES (?, ?, ?, ?, ?)")
                for stream in (0..<count).lazy.map(Synthetic.init) where stream.onChain {
                    try insert.execute(arguments: [stream.id, String(stream.total), String(stream.withdrawn), stream.state, address])
                }
                return .commit
            }
        }
        try comparison.close()
    }

    /// The same pairing and column comparisons as Fixtures/four-field-rules.yaml (the demo rules without their nullable field), in SQL.
    static let compareSQL = """
        SELECT count(*) FROM streams s FULL OUTER JOIN chain c ON s.id = c.id
        WHERE s.id IS NULL OR c.id IS NULL
           OR s.total_amount IS NOT c.deposited
           OR s.released_amount IS NOT c.withdrawn
           OR s.status IS NOT (CASE c.state WHEN 0 THEN 'pending' WHEN 1 THEN 'active' WHEN 2 THEN 'completed' WHEN 3 THEN 'cancelled' END)
           OR lower(s.recipient) IS NOT lower(c.recipient);

        """

    static func time(_ executable: String, _ arguments: [String]) throws -> (Double, Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        var elapsed = 0.0
        elapsed = try seconds {
            try process.run()
            process.waitUntilExit()
        }
        return (elapsed, process.terminationStatus)
    }

    /// The largest resident set of any child waited for so far, in kilobytes.
    static func childrenPeakRSSKilobytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        return usage.ru_maxrss
    }

    static func summaryLine(_ report: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: report))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let summary = object?["summary"] as? [String: Any]
        return "streams checked \(summary?["streamsChecked"] ?? "?"), discrepancies \(summary?["discrepancies"] ?? "?"), by kind \(summary?["byKind"] ?? "?")"
    }
}
