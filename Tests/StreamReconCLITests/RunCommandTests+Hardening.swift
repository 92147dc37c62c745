import Foundation
import GRDB
import TestSupport
import Testing

/// What a careless or hostile operator can do to `run` and `runs`: name an input as the report,
/// give absurd numbers, close or fill stdout, print hostile data to a terminal.
extension RunCommandTests {
    var demoDB: String { directory.appendingPathComponent("var/demo.sqlite").path }

    func digest(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// `--output` naming an input however spelt, or something that is not a regular file, is
    /// refused with one line and exit 2, and the input is left exactly as it was.
    @Test func outputNeverReplacesAnInput() throws {
        // Refused before anything is built: the demo DB does not exist yet, and still does not.
        let first = try run(["run", "--output", "Rules/streams.yaml"])
        #expect(first.status == 2 && first.stderr.contains("is the --rules file"))
        #expect(!FileManager.default.fileExists(atPath: demoDB))
        // The demo DB the run would build there is an input too, before it exists.
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("var"), withIntermediateDirectories: true)
        let early = try run(["run", "--output", "var/demo.sqlite"])
        #expect(early.status == 2 && early.stderr.contains("is the --db file"), "\(early.stderr)")
        #expect(!FileManager.default.fileExists(atPath: demoDB))
        #expect(try run(["run"]).status == 1) // builds var/demo.sqlite and records a run
        let hardLink = directory.appendingPathComponent("hard-link.sqlite").path
        try FileManager.default.linkItem(atPath: demoDB, toPath: hardLink)
        let symbolic = directory.appendingPathComponent("report-link.json").path
        try FileManager.default.createSymbolicLink(atPath: symbolic, withDestinationPath: demoDB)
        let fifo = directory.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let cases: [(output: String, extra: [String], reason: String)] = [
            ("var/demo.sqlite", [], "is the --db file"),
            ("./var/demo.sqlite", [], "is the --db file"),
            ("var/../var/demo.sqlite", [], "is the --db file"),
            (demoDB, [], "is the --db file"),
            (hardLink, [], "is the --db file"),
            ("var/demo.sqlite", ["--db", "sqlite:var/demo.sqlite"], "is the --db file"),
            ("var/demo.sqlite-wal", [], "is the --db file"), // does not exist until the run store writes
            (symbolic, [], "is a symbolic link"),
            ("Rules/streams.yaml", [], "is the --rules file"),
            ("./Fixtures/demo-chain.json", [], "is the --chain file"),
            ("/dev/null", [], "is a device, not a regular file"),
            (fifo, [], "is a FIFO, not a regular file"),
            ("var", [], "is a directory"),
        ]
        let inputs = [demoDB] + ["Rules/streams.yaml", "Fixtures/demo-chain.json"].map { directory.appendingPathComponent($0).path }
        for dryRun in [true, false] {
            for (output, extra, reason) in cases {
                let before = try inputs.map(digest)
                let refused = try run(["run", "--output", output] + extra + (dryRun ? ["--dry-run"] : []))
                #expect(refused.status == 2, "\(output) \(extra)")
                #expect(refused.stderr.hasPrefix("error: cannot write --output \(output): "), "\(refused.stderr)")
                #expect(refused.stderr.contains(reason), "\(refused.stderr)")
                #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
                #expect(try inputs.map(digest) == before, "\(output) changed an input")
            }
        }
        var status = stat()
        #expect(lstat(symbolic, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK)
        #expect(lstat(fifo, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)
        // Only the first run is recorded: a refused --output starts no run.
        #expect(try RunTables.statuses(at: demoDB).count == 1)
    }

    @Test func aReplacedReportKeepsItsPermissionBits() throws {
        let report = try write("report.json", "old")
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: report)
        let result = try run(["run", "--dry-run", "--output", report])
        #expect(result.status == 1)
        #expect(try json(String(contentsOfFile: report, encoding: .utf8))["status"] as? String == "drift")
        let mode = try FileManager.default.attributesOfItem(atPath: report)[.posixPermissions] as? Int
        #expect(mode == 0o640)
    }

    @Test(arguments: [
        ["run", "--batch-size", "2000000000"], ["run", "--batch-size", "0"], ["run", "--batch-size", "-1"],
        ["run", "--batch-size", "1e3"], ["run", "--batch-size", "9223372036854775808"], ["run", "--batch-size", "100001"],
        ["runs", "list", "--limit", "0"], ["runs", "list", "--limit", "10001"], ["runs", "list", "--limit", "-5"],
        ["serve", "--shutdown-grace", "3601"], ["serve", "--idle-timeout", "0"], ["serve", "--batch-size", "2000000000"],
        ["serve", "--port", "-1"],
    ])
    func outOfRangeNumbersAreUsageErrors(_ arguments: [String]) throws {
        let result = try run(arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains(arguments[arguments.count - 2]), "names the option: \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("allocate"))
        #expect(!FileManager.default.fileExists(atPath: demoDB), "nothing was built or run")
    }

    @Test func theLargestBatchSizeRuns() throws {
        let result = try run(["run", "--dry-run", "--batch-size", "100000", "--format", "json"])
        #expect(result.status == 1)
        #expect(try json(result.stdout)["status"] as? String == "drift")
    }

    /// A full disk under a JSON report: the run completed and is recorded; writing its report
    /// failed, which is one line and exit 3.
    @Test func aFullStdoutIsOneLineAndExitThree() throws {
        #expect(try run(["run"]).status == 1)
        let full = try #require(FileHandle(forWritingAtPath: "/dev/full"))
        let json = try CLIRunner.run(["run", "--format", "json"], in: directory, standardOutput: full)
        #expect(json.status == 3)
        #expect(json.stderr.hasPrefix("error: cannot write the report to standard output: No space left on device; the run was recorded as drift (run "),
                "\(json.stderr)")
        #expect(json.stderr.split(separator: "\n").count == 1)
        // Findings are written as they are found in NDJSON: the first failed write stops the run.
        let ndjson = try CLIRunner.run(["run", "--format", "ndjson"], in: directory, standardOutput: full)
        #expect(ndjson.status == 3)
        #expect(ndjson.stderr.contains("No space left on device; the run was stopped and was recorded as aborted (run "), "\(ndjson.stderr)")
        let statuses = try RunTables.statuses(at: demoDB).values.sorted()
        #expect(statuses == ["aborted", "drift", "drift"])
    }

    /// `| head -1` closed early: SIGPIPE is not fatal, the run is stopped and recorded aborted.
    @Test func aClosedPipeStopsTheRunAndRecordsItAborted() throws {
        #expect(try run(["run"]).status == 1)
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        let result = try CLIRunner.run(["run", "--format", "ndjson"], in: directory, standardOutput: pipe.fileHandleForWriting)
        #expect(result.status == 3)
        #expect(result.stderr.contains("Broken pipe; the run was stopped and was recorded as aborted (run "), "\(result.stderr)")
        #expect(try RunTables.statuses(at: demoDB).values.sorted() == ["aborted", "drift"])
    }

    /// A hostile stream id and raw value, printed as a table and by `runs show`/`runs list`,
    /// come out as visible escapes: nothing reaches the terminal that could rewrite it.
    @Test func controlCharactersFromTheDataAreEscaped() throws {
        #expect(try run(["run"]).status == 1)
        let hostile = "evil\u{1B}]0;pwned\u{07}\u{1B}[2J\r\n\tstream_1\u{9B}31m\u{7F}\u{202E}"
        let queue = try DatabaseQueue(path: demoDB)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO streams VALUES (?, '0x1', '0x2', ?, '0', 'active', '2026-11-01T09:00:00Z', NULL)",
                           arguments: [hostile, "1\u{1B}[8m"])
        }
        try queue.close()
        let escaped = #"evil\x1B]0;pwned\x07\x1B[2J\r\n\tstream_1\x9B31m\x7F\u{202E}"#
        func isClean(_ text: String) -> Bool {
            text.unicodeScalars.allSatisfy { $0 == "\n" || !($0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0 == "\u{202E}") }
        }
        let table = try run(["run", "--format", "table"])
        #expect(table.status == 1)
        #expect(table.stdout.contains(escaped), "\(table.stdout)")
        #expect(table.stdout.contains(#"1\x1B[8m"#))
        #expect(isClean(table.stdout))
        let runs = try RunTables.statuses(at: demoDB).keys.sorted()
        var shownHostile = false
        for id in runs {
            let shown = try run(["runs", "show", id])
            #expect(shown.status == 0)
            #expect(isClean(shown.stdout))
            shownHostile = shownHostile || shown.stdout.contains(escaped)
        }
        #expect(shownHostile, "runs show prints the hostile stream id, escaped")
        let shownJSON = try run(["runs", "show", runs.last!, "--format", "json"])
        let listed = try run(["runs", "list"])
        #expect(isClean(listed.stdout))
        // JSON carries the text exactly; only terminal output is escaped.
        let report = try json(try run(["run", "--dry-run", "--format", "json"]).stdout)
        let ids = (report["discrepancies"] as? [[String: Any]])?.compactMap { $0["streamId"] as? String } ?? []
        #expect(ids.contains(hostile))
        #expect(shownJSON.status == 0)
        let unknown = try run(["runs", "show", "x\u{1B}[2Jy"])
        #expect(unknown.stderr == "error: no run with id 'x\\x1B[2Jy', and no shard run under run key 'x\\x1B[2Jy', in var/demo.sqlite\n")
    }
}
