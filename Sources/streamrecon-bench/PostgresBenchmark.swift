import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `streamrecon-bench postgres [--streams N] [--batch-size N[,N…]] [--keep]`: the `run` benchmark
/// with the app DB in PostgreSQL. Starts a throwaway PostgreSQL server, generates the same N
/// synthetic streams (`RunBenchmark.Synthetic`) into a `streams` table (amounts `numeric(78,0)`,
/// loaded with `\copy`) and a chain snapshot file, times `streamrecon run --db postgres://…` end
/// to end (the release binary beside this one; its password in `PGPASSWORD`) once per batch size
/// given (by default twice: a first run, and the next night's, which compares with it), and times `psql` running the same FULL OUTER JOIN comparison against the same rows and
/// the snapshot's records held in a `chain` table. `--keep` keeps the generated files (not the
/// server). Run from the repository root, on Linux.
///
/// One difference from `run`: the unparseable DB amount (drift kind 5, `12x` in SQLite) cannot
/// be stored in a numeric column, so here it is 2^200, beyond an amount's 128 bits, which
/// streamrecon reports as an `invalid_value` just the same.
enum PostgresBenchmark {
    static func run() throws {
        let count = option("--streams", default: 1_000_000)
        let batchSizes = (stringOption("--batch-size") ?? "").split(separator: ",").compactMap { Int($0) }
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("streamrecon").path
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw BenchError("build it first: swift build -c release --product streamrecon") }

        let directory = try scratchDirectory()
        let keep = CommandLine.arguments.contains("--keep")
        defer { if keep { print("kept the data files in \(directory.path)") } else { try? FileManager.default.removeItem(at: directory) } }
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        let generation = try seconds { try generate(count, streams: path("streams.tsv"), chain: path("chain.json"), chainTable: path("chain.tsv")) }
        print(String(format: "generated %d streams in %.1f s (chain snapshot %.1f MB)", count, generation,
                     Double((try? FileManager.default.attributesOfItem(atPath: path("chain.json"))[.size] as? Int) ?? 0) / 1e6))

        let start = ContinuousClock.now
        let server = try BenchPostgres.start()
        defer { server.stop() }
        print("PostgreSQL \(server.version) started in " + String(format: "%.1f s", seconds(since: start)))
        let loading = try seconds {
            try server.psql(user: "bench", """
                CREATE TABLE streams (id text PRIMARY KEY, recipient text NOT NULL, total_amount numeric(78,0) NOT NULL,
                    released_amount numeric(78,0) NOT NULL, status text NOT NULL);
                CREATE TABLE chain (id text PRIMARY KEY, deposited numeric(78,0), withdrawn numeric(78,0), state integer, recipient text);
                \\copy streams FROM '\(path("streams.tsv"))'
                \\copy chain FROM '\(path("chain.tsv"))'
                VACUUM (ANALYZE) streams, chain;
                """)
        }
        let size = try server.psql(user: "bench", "SELECT pg_size_pretty(pg_total_relation_size('streams'))")
        print(String(format: "loaded into PostgreSQL in %.1f s", loading) + " (streams table with its index: \(size))")

        let report = path("report.json")
        let environment = ["PGPASSWORD": server.benchPassword]
        var reconSeconds: [(label: String, seconds: Double)] = []
        // Each run is recorded in the database, so every run after the first compares with the one
        // before it (60,000 discrepancies at 1M), as a nightly run does: the default times both.
        for (index, batchSize) in (batchSizes.isEmpty ? [nil, nil] : batchSizes.map(Optional.some)).enumerated() {
            let run = try measure(binary, ["run", "--rules", "Fixtures/four-field-rules.yaml", "--db", "postgres://bench@127.0.0.1:\(server.port)/bench",
                                           "--chain", path("chain.json"), "--format", "json", "--output", report]
                                          + (batchSize.map { ["--batch-size", String($0)] } ?? []), environment: environment)
            guard run.status == 1 else { throw BenchError("streamrecon exited \(run.status); expected 1 (drift)") }
            let label = "streamrecon run" + (batchSize.map { " --batch-size \($0)" } ?? "") + (index == 0 ? ", first" : ", next night")
            reconSeconds.append((label, run.seconds))
            print(label + String(format: ":  %6.2f s  %9.0f pairs/s  peak RSS %.0f MB", run.seconds, Double(count) / run.seconds, Double(run.peakKB) / 1024))
            print("  RSS every tenth of the run (MB): " + run.rssTimeline.map { String(format: "%.0f", Double($0) / 1024) }.joined(separator: " "))
            print("  " + (try RunBenchmark.summaryLine(report)))
            try check(report, count, previous: index > 0)
        }

        let query = path("compare.sql")
        try compareSQL.write(toFile: query, atomically: true, encoding: .utf8)
        let psql = [server.psqlPath, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(server.port), "-U", "bench", "-d", "bench", "-f", query]
        // Warms the caches as the first run warmed them for streamrecon, and checks the count.
        let differing = try capture(psql, environment: environment).trimmingCharacters(in: .whitespacesAndNewlines)
        let join = try measure(psql[0], Array(psql.dropFirst()), environment: environment)
        guard join.status == 0 else { throw BenchError("psql exited \(join.status)") }
        print(String(format: "psql join:        %6.2f s", join.seconds) + "  (\(differing) rows differ)")
        for (label, seconds) in reconSeconds { print("ratio \(label) / psql join: " + String(format: "%.2f", seconds / join.seconds)) }
    }

    /// The streams table's rows and the chain table's as tab-separated text for `\copy`, and the snapshot file.
    static func generate(_ count: Int, streams: String, chain: String, chainTable: String) throws {
        let tooLarge = "1606938044258990275541962092341162602522202993782792835301376" // 2^200
        let files = try [streams, chain, chainTable].map { path in
            guard FileManager.default.createFile(atPath: path, contents: nil) else { throw BenchError("cannot create \(path)") }
            return try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        }
        var buffers = ["", "{\"blockNumber\": 19000000, \"records\": [\n", ""]
        func flush(_ threshold: Int) {
            for (file, buffer) in zip(files, buffers) where buffer.utf8.count > threshold { file.write(Data(buffer.utf8)) }
            buffers = buffers.map { $0.utf8.count > threshold ? "" : $0 }
        }
        var first = true
        for stream in (0..<count).lazy.map(RunBenchmark.Synthetic.init) {
            if stream.inDB {
                buffers[0] += "\(stream.id)\t\(RunBenchmark.dbAddress)\t\(stream.kind == 5 ? tooLarge : String(stream.total))\t"
                    + "\(stream.dbReleased)\t\(RunBenchmark.states[stream.state])\n"
            }
            if stream.onChain {
                buffers[1] += (first ? "" : ",\n") + RunBenchmark.chainRecord(stream)
                first = false
                buffers[2] += "\(stream.id)\t\(stream.total)\t\(stream.withdrawn)\t\(stream.state)\t\(RunBenchmark.address)\n"
            }
            flush(1 << 20)
        }
        buffers[1] += "\n]}\n"
        flush(0)
        for file in files { try file.close() }
    }

    /// `RunBenchmark.compareSQL` in PostgreSQL: NULL-safe comparisons are `IS DISTINCT FROM`.
    static let compareSQL = """
        SELECT count(*) FROM streams s FULL OUTER JOIN chain c ON s.id = c.id
        WHERE s.id IS NULL OR c.id IS NULL
           OR s.total_amount IS DISTINCT FROM c.deposited
           OR s.released_amount IS DISTINCT FROM c.withdrawn
           OR s.status IS DISTINCT FROM (CASE c.state WHEN 0 THEN 'pending' WHEN 1 THEN 'active' WHEN 2 THEN 'completed' WHEN 3 THEN 'cancelled' END)
           OR lower(s.recipient) IS DISTINCT FROM lower(c.recipient);

        """

    /// Throws unless the report counts the discrepancies the generator planted.
    /// After a `previous` run of the same data, every discrepancy is `persisting`.
    static func check(_ report: String, _ count: Int, previous: Bool) throws {
        var planted = [Int](repeating: 0, count: 6)
        for index in 0..<count where index % 100 < 6 { planted[index % 100] += 1 }
        let expected = ["mismatch": planted[1], "missing_on_chain": planted[2], "missing_in_db": planted[3],
                        "invariant_violation": 2 * planted[4], "invalid_value": planted[5]]
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any]
        let summary = object?["summary"] as? [String: Any]
        let byKind = (summary?["byKind"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.intValue }
        guard byKind == expected, (summary?["streamsChecked"] as? NSNumber)?.intValue == count else {
            throw BenchError("the report's summary is not what was generated: expected \(count) streams checked, by kind \(expected)")
        }
        let byStatus = (summary?["byStatus"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.intValue }
        let found = expected.values.reduce(0, +)
        guard byStatus == ["new": previous ? 0 : found, "persisting": previous ? found : 0, "resolved": 0] else {
            throw BenchError("the report's statuses are \(byStatus); expected all \(found) \(previous ? "persisting" : "new")")
        }
    }

    static func stringOption(_ name: String) -> String? {
        let arguments = CommandLine.arguments
        guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
        return arguments[index + 1]
    }

    /// The environment children get: this one's, without `PG*` variables, plus `extra`.
    static func childEnvironment(_ extra: [String: String]) -> [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }.merging(extra) { $1 }
    }

    /// Runs `command` to its end; its standard output, or an error with its standard error.
    @discardableResult
    static func capture(_ command: [String], environment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = childEnvironment(environment)
        process.standardInput = FileHandle.nullDevice
        let output = Pipe()
        // Error output goes to a file: a pipe nobody reads while stdout is drained could fill and hang.
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("streamrecon-bench-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorFile) }
        process.standardOutput = output
        let errorHandle = try FileHandle(forWritingTo: errorFile)
        defer { try? errorHandle.close() }
        process.standardError = errorHandle
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let said = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
            throw BenchError("\(command[0]) exited \(process.terminationStatus): \(said.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return String(decoding: data, as: UTF8.self)
    }

    struct Measured {
        var seconds: Double, status: Int32
        /// The child's peak resident set (`VmHWM`) as last sampled, in kilobytes.
        var peakKB: Int
        /// The child's resident set at each tenth of its run, in kilobytes (sampled from /proc).
        var rssTimeline: [Int]
    }

    /// Runs a program (standard output discarded) and samples its `VmRSS` and `VmHWM` every 5 ms
    /// until it exits. Not `ru_maxrss`: on Linux exec folds the high-water mark of the address
    /// space it replaces into it, which is this process's (its copy after `fork`, its own with
    /// `posix_spawn`), so a child's `ru_maxrss` is never below this process's RSS at the spawn;
    /// `VmHWM` is the new program's alone.
    static func measure(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> Measured {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = childEnvironment(environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let start = ContinuousClock.now
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else { throw BenchError("cannot run \(executable): \(String(cString: strerror(spawned)))") }
        var samples: [(seconds: Double, kb: Int)] = []
        var peakKB = 0
        var status: Int32 = 0
        while true {
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid { break }
            guard waited == 0 || errno == EINTR else { throw BenchError("waitpid: errno \(errno)") }
            if let memory = memoryKB(pid) {
                samples.append((seconds(since: start), memory.resident))
                peakKB = max(peakKB, memory.peak)
            }
            usleep(5_000)
        }
        let elapsed = seconds(since: start)
        let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let timeline = (1...10).map { tenth in samples.last(where: { $0.seconds <= elapsed * Double(tenth) / 10 })?.kb ?? 0 }
        return Measured(seconds: elapsed, status: exitStatus, peakKB: peakKB, rssTimeline: timeline)
    }

    /// `VmRSS` and `VmHWM` of a running process, in kilobytes.
    private static func memoryKB(_ pid: pid_t) -> (resident: Int, peak: Int)? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func field(_ name: String) -> Int? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
            return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "")
        }
        guard let resident = field("VmRSS"), let peak = field("VmHWM") else { return nil }
        return (resident, peak)
    }
}

/// A throwaway PostgreSQL server for the benchmark (after Tests/PostgresRig, which the bench
/// cannot depend on): a new cluster in a temporary directory, listening on 127.0.0.1 on a free
/// port and on a Unix socket in that directory, durability off. A role `bench` with a random
/// password owns the database `bench`; TCP logins need the password (`scram-sha-256`), the
/// socket is trusted. As root, `initdb` and `postgres` run as user `postgres` through `runuser`.
/// `stop()` ends the server (SIGQUIT, the immediate shutdown) and removes the directory.
final class BenchPostgres {
    let directory: String
    let port: Int
    let psqlPath: String
    let version: String
    let benchPassword = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    private var server: Process?

    private init(directory: String, port: Int, psqlPath: String, version: String) {
        self.directory = directory
        self.port = port
        self.psqlPath = psqlPath
        self.version = version
    }

    static func start() throws -> BenchPostgres {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .filter { FileManager.default.isExecutableFile(atPath: "\(root)/\($0)/bin/initdb") }
        guard let version = versions.max(by: { (Int($0) ?? 0) < (Int($1) ?? 0) }) else {
            throw BenchError("no PostgreSQL server in \(root)/*/bin: apt-get install postgresql")
        }
        let bin = "\(root)/\(version)/bin"
        var asServer: [String] = []
        var owner: (uid: uid_t, gid: gid_t)?
        if geteuid() == 0 {
            guard let user = getpwnam("postgres") else { throw BenchError("running as root, and there is no postgres user to run the server as") }
            asServer = ["/usr/sbin/runuser", "-u", "postgres", "--"]
            owner = (user.pointee.pw_uid, user.pointee.pw_gid)
        }
        var template = Array("/tmp/streamrecon-bench-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw BenchError("mkdtemp: errno \(errno)") }
        let directory = String(cString: made)
        let rig = BenchPostgres(directory: directory, port: try freePort(), psqlPath: "\(bin)/psql", version: version)
        do {
            let passwordFile = directory + "/superuser-password"
            try Data(UUID().uuidString.utf8).write(to: URL(fileURLWithPath: passwordFile))
            if let owner {
                for path in [directory, passwordFile] where chown(path, owner.uid, owner.gid) != 0 { throw BenchError("chown \(path): errno \(errno)") }
            }
            try PostgresBenchmark.capture(asServer + ["\(bin)/initdb", "-D", directory + "/data", "-U", "postgres", "--pwfile=" + passwordFile,
                                                      "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"])
            try rig.launch(asServer + ["\(bin)/postgres", "-D", directory + "/data"] + [
                "listen_addresses=127.0.0.1", "port=\(rig.port)", "unix_socket_directories=\(directory)",
                "fsync=off", "full_page_writes=off", "synchronous_commit=off",
            ].flatMap { ["-c", $0] })
            try rig.psql(user: "postgres", database: "postgres", """
                CREATE ROLE bench LOGIN PASSWORD '\(rig.benchPassword)';
                CREATE DATABASE bench OWNER bench;
                """)
        } catch {
            rig.stop()
            throw error
        }
        return rig
    }

    /// Starts the server and polls `postmaster.pid` until its status line says `ready`.
    private func launch(_ command: [String]) throws {
        let log = directory + "/server.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? logHandle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = PostgresBenchmark.childEnvironment([:])
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
        server = process
        let deadline = ContinuousClock.now + .seconds(120)
        while postmasterFile().count < 8 || postmasterFile()[7] != "ready" {
            let tail = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(20).joined(separator: "\n")
            guard process.isRunning else { throw BenchError("postgres exited with status \(process.terminationStatus); its log:\n\(tail)") }
            guard ContinuousClock.now < deadline else { throw BenchError("postgres was not ready within 120 s; its log:\n\(tail)") }
            usleep(20_000)
        }
    }

    /// The lines of `postmaster.pid`: the postmaster's pid first, its status ("ready") eighth.
    private func postmasterFile() -> [String] {
        let text = (try? String(contentsOfFile: directory + "/data/postmaster.pid", encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Runs `sql` through psql over the Unix socket (trusted) and returns its rows, unaligned.
    @discardableResult
    func psql(user: String, database: String = "bench", _ sql: String) throws -> String {
        let script = directory + "/psql-\(UUID().uuidString).sql"
        try Data(sql.utf8).write(to: URL(fileURLWithPath: script))
        defer { try? FileManager.default.removeItem(atPath: script) }
        return try PostgresBenchmark.capture([psqlPath, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", directory, "-p", String(port),
                                              "-U", user, "-d", database, "-f", script]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Ends the server at once (SIGQUIT, as `pg_ctl stop -m immediate`; SIGKILL after 60 s) and removes the directory.
    func stop() {
        if let server, server.isRunning {
            let pid = pid_t(postmasterFile().first ?? "") ?? server.processIdentifier
            for (signal, wait) in [(SIGQUIT, 60.0), (SIGKILL, 10.0)] where server.isRunning {
                kill(pid, signal)
                let end = Date(timeIntervalSinceNow: wait)
                while server.isRunning && Date() < end { usleep(10_000) }
            }
        }
        server = nil
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago.
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw BenchError("bind 127.0.0.1:0: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
