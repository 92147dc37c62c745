import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A throwaway PostgreSQL server for tests: a fresh cluster in a temporary directory, listening
/// on 127.0.0.1 only (a free port), with a superuser `postgres` whose password is random, TCP
/// connections authenticated by `scram-sha-256` (so a wrong password fails), TLS on with a
/// certificate for `127.0.0.1` and `localhost` signed by a test CA (`caCertificatePath`), and
/// durability off (`fsync`, `full_page_writes`, `synchronous_commit`) for speed.
///
/// `stop()` (also run by `deinit`, and at exit for `shared()`) ends the server and removes the
/// directory; a watchdog process does the same if the test process dies first.
///
/// Binaries: `$STREAMRECON_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin` with `initdb`,
/// else `PATH`. As root (which `initdb` and `postgres` refuse) the server runs as user
/// `postgres` (else `nobody`) through `setpriv` or `runuser`, and owns the directory; `psql`
/// runs as the caller.
///
/// `start()`, `shared()` and `psql(_:)` block the calling thread (start: a second or a few, psql:
/// tens of milliseconds); from async code, `await` the `start()`/`shared()` overloads, which
/// wait on a thread of their own and not on the concurrency pool.
public final class PostgresRig: @unchecked Sendable {
    /// No PostgreSQL here, or no way to run it (as root, no user or tool to drop privileges):
    /// a test may skip on it.
    public struct Unavailable: Error, CustomStringConvertible {
        public let reason: String
        public init(_ reason: String) { self.reason = reason }
        public var description: String { "PostgreSQL is unavailable: \(reason)" }
    }

    /// Something went wrong starting or using the server; the message says what, with the
    /// program's error output (and the server log's end when it did not start).
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// Whether there are server binaries to start (see `Unavailable`).
    public static var isAvailable: Bool { (try? Installation.found.get()) != nil }

    public let host = "127.0.0.1"
    public private(set) var port = 0
    public let superuser = "postgres"
    /// The superuser's password (random hex).
    public let password: String
    /// The certificate of the CA that signed the server's (for `sslrootcert=` and `sslmode=verify-full`).
    public var caCertificatePath: String { directory.appendingPathComponent("ca.crt").path }
    /// The server's stdout and stderr.
    public var logPath: String { directory.appendingPathComponent("server.log").path }
    /// The temporary directory holding everything: `data/`, the Unix socket, the certificates, the log.
    public let directory: URL

    private let installation: Installation
    private let lock = NSLock()
    private var stopped = false
    private var watchdog: Watchdog?
    private var server: Process?
    private var postmasterPID: pid_t?

    private var dataDirectory: String { directory.appendingPathComponent("data").path }

    /// Starts a new server and waits (up to 120 s) until it accepts connections.
    /// Throws `Unavailable` when there is no PostgreSQL to run, `Failure` when it does not start.
    public static func start() throws -> PostgresRig {
        let installation = try Installation.found.get()
        // $TMPDIR if short (the socket's path has a limit of about 100 bytes), but /tmp as root:
        // the server's user must be able to reach it, and root's TMPDIR may be private.
        let base = (installation.serverUser == nil ? ProcessInfo.processInfo.environment["TMPDIR"] : nil)
            .flatMap { $0.isEmpty || $0.utf8.count > 60 ? nil : $0 } ?? "/tmp"
        var template = Array((base.hasSuffix("/") ? base : base + "/").utf8CString.dropLast()) + Array("pgrig-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw Failure("mkdtemp in \(base): errno \(errno)") }
        let rig = PostgresRig(directory: URL(fileURLWithPath: String(cString: made)), installation: installation)
        do {
            try rig.launch()
        } catch {
            rig.stop()
            throw error
        }
        return rig
    }

    /// `start()` on a thread of its own, not holding one of the concurrency pool's.
    public static func start() async throws -> PostgresRig {
        try await offThePool { try start() }
    }

    /// One server for the whole test process, started by the first call and stopped at exit.
    /// A failure to start is remembered and thrown again to every later caller.
    public static func shared() throws -> PostgresRig {
        Shared.slot.lock.lock()
        defer { Shared.slot.lock.unlock() }
        if let result = Shared.slot.result { return try result.get() }
        let result = Result { try start() }
        Shared.slot.result = result
        if case .success = result { atexit { PostgresRig.stopShared() } }
        return try result.get()
    }

    /// `shared()` on a thread of its own, not holding one of the concurrency pool's.
    public static func shared() async throws -> PostgresRig {
        try await offThePool { try shared() }
    }

    /// `postgres://user:password@127.0.0.1:port/database?query`. With no `user`, the superuser and
    /// (unless `password` is given) its password; with a `user`, `password` or none. The user,
    /// password and database are percent-encoded; `query` (e.g. `"sslmode=require"`) is used as is.
    public func url(user: String? = nil, password: String? = nil, database: String = "postgres", query: String = "") -> String {
        func encoded(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? text }
        var url = "postgres://" + encoded(user ?? superuser)
        if let secret = password ?? (user == nil ? self.password : nil) { url += ":" + encoded(secret) }
        url += "@\(host):\(port)/" + encoded(database)
        return query.isEmpty ? url : url + "?" + query
    }

    /// Runs `sql` (one or more statements) through psql as the superuser, over the Unix socket
    /// (trusted: its directory is private to the server's user), stopping at the first error.
    /// Returns the rows, unaligned and without headers (one row a line, columns separated by `|`),
    /// without the final newline: `try rig.psql("SELECT 1") == "1"`. Throws `Failure` with
    /// psql's error output.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        guard !lock.withLock({ stopped }) else { throw Failure("psql: the server is stopped") }
        let script = directory.appendingPathComponent("psql-\(UUID().uuidString).sql")
        try Data(sql.utf8).write(to: script)
        defer { try? FileManager.default.removeItem(at: script) }
        let result = Subprocess.run([installation.psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", directory.path,
                                     "-p", String(port), "-U", superuser, "-d", database, "-f", script.path],
                                    environment: ["PGCONNECT_TIMEOUT": "60"])
        guard result.status == 0 else { throw Failure("psql failed (\(result.failure)) running: \(sql)") }
        return result.stdout.hasSuffix("\n") ? String(result.stdout.dropLast()) : result.stdout
    }

    /// `CREATE DATABASE "name"` (the name quoted as an identifier).
    public func createDatabase(_ name: String) throws {
        try psql("CREATE DATABASE \"\(name.replacingOccurrences(of: "\"", with: "\"\""))\"")
    }

    /// Ends the server at once (SIGQUIT, as `pg_ctl stop -m immediate`; SIGKILL if it has not
    /// gone after 60 s), and removes the directory. Safe to call more than once, from any thread.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        watchdog?.cancel()
        if let server {
            for (signal, seconds) in [(SIGQUIT, 60.0), (SIGKILL, 10.0)] where server.isRunning {
                kill(postmasterPID ?? pid_t(postmasterFile().first ?? "") ?? server.processIdentifier, signal)
                let end = Date(timeIntervalSinceNow: seconds)
                while server.isRunning && Date() < end { usleep(10_000) }
            }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }

    // MARK: - Starting

    private init(directory: URL, installation: Installation) {
        self.directory = directory
        self.installation = installation
        password = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    private func launch() throws {
        watchdog = try Watchdog(guarding: directory)
        try makeCertificates()
        let passwordFile = directory.appendingPathComponent("password")
        try Data(password.utf8).write(to: passwordFile)
        if let user = installation.serverUser {
            for name in [".", "password", "ca.crt", "server.crt", "server.key"] {
                let path = directory.appendingPathComponent(name).path
                guard chown(path, user.uid, user.gid) == 0 else { throw Failure("chown \(path) to \(user.name): errno \(errno)") }
            }
        }
        let initdb = Subprocess.run(installation.asServerUser + [
            installation.bin + "/initdb", "-D", dataDirectory, "-U", superuser, "--pwfile=" + passwordFile.path,
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
        ])
        guard initdb.status == 0 else { throw Failure("initdb failed (\(initdb.failure))\n\(initdb.stdout)") }
        try? FileManager.default.removeItem(at: passwordFile)

        // The port was free a moment ago; someone may take it before the server binds it.
        for attempt in 1...5 {
            port = try Subprocess.freePort()
            switch try startServer() {
            case .ready: return
            case .portTaken(let log) where attempt == 5: throw Failure("postgres could not bind a port in 5 attempts; server log:\n\(log)")
            case .portTaken: continue
            }
        }
    }

    private enum Start { case ready, portTaken(log: String) }

    /// Starts `postgres` on `port` and waits until `postmaster.pid` says it is ready.
    private func startServer() throws -> Start {
        guard FileManager.default.createFile(atPath: logPath, contents: nil), let log = FileHandle(forWritingAtPath: logPath) else {
            throw Failure("cannot create \(logPath)")
        }
        defer { try? log.close() }
        let settings = [
            "listen_addresses=127.0.0.1", "port=\(port)", "unix_socket_directories=\(directory.path)",
            "fsync=off", "full_page_writes=off", "synchronous_commit=off", "shared_buffers=16MB",
            "ssl=on", "ssl_cert_file=\(directory.path)/server.crt", "ssl_key_file=\(directory.path)/server.key",
        ]
        let command = installation.asServerUser + [installation.bin + "/postgres", "-D", dataDirectory] + settings.flatMap { ["-c", $0] }
        let server = Process()
        server.executableURL = URL(fileURLWithPath: command[0])
        server.arguments = Array(command.dropFirst())
        server.environment = Subprocess.environment
        server.standardInput = FileHandle.nullDevice
        server.standardOutput = log
        server.standardError = log
        try server.run()
        self.server = server

        let deadline = Date(timeIntervalSinceNow: 120)
        while true {
            let lines = postmasterFile()
            if server.isRunning, lines.count >= 8, lines[7] == "ready", let pid = pid_t(lines[0]) {
                postmasterPID = pid
                return .ready
            }
            if !server.isRunning {
                let tail = logTail()
                if tail.contains("could not bind") || tail.contains("Address already in use") { return .portTaken(log: tail) }
                throw Failure("postgres exited with status \(server.terminationStatus) before it was ready; server log:\n\(tail)")
            }
            if Date() > deadline { throw Failure("postgres was not ready within 120 s; server log:\n\(logTail())") }
            usleep(20_000)
        }
    }

    /// A test CA, and a server certificate it signs for 127.0.0.1 and localhost (EC keys: quick to make).
    private func makeCertificates() throws {
        let config = """
            [req]
            distinguished_name = dn
            prompt = no
            [dn]
            CN = PostgresRig
            [ca]
            basicConstraints = critical, CA:TRUE
            keyUsage = critical, keyCertSign, cRLSign
            subjectKeyIdentifier = hash
            [server]
            basicConstraints = critical, CA:FALSE
            keyUsage = critical, digitalSignature, keyEncipherment
            extendedKeyUsage = serverAuth
            subjectAltName = IP:127.0.0.1, DNS:localhost
            subjectKeyIdentifier = hash
            authorityKeyIdentifier = keyid
            """
        let path = { (name: String) in self.directory.appendingPathComponent(name).path }
        try Data(config.utf8).write(to: URL(fileURLWithPath: path("openssl.cnf")))
        let newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for command in [
            ["req", "-x509", "-config", path("openssl.cnf"), "-extensions", "ca", "-subj", "/CN=PostgresRig test CA", "-days", "3650"]
                + newKey + ["-keyout", path("ca.key"), "-out", path("ca.crt")],
            ["req", "-new", "-config", path("openssl.cnf"), "-subj", "/CN=localhost"]
                + newKey + ["-keyout", path("server.key"), "-out", path("server.csr")],
            ["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"), "-set_serial", "2", "-days", "3650",
             "-extfile", path("openssl.cnf"), "-extensions", "server", "-out", path("server.crt")],
        ] {
            let result = Subprocess.run(["/usr/bin/env", "openssl"] + command)
            guard result.status == 0 else { throw Failure("openssl \(command[0]) failed (\(result.failure))") }
        }
        for name in ["ca.key", "server.csr", "openssl.cnf"] { try? FileManager.default.removeItem(atPath: path(name)) }
        guard chmod(path("server.key"), 0o600) == 0 else { throw Failure("chmod server.key: errno \(errno)") }
    }

    /// The lines of `postmaster.pid`: the first is the postmaster's pid, the eighth its status
    /// ("ready" once it accepts connections).
    private func postmasterFile() -> [String] {
        let text = (try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    private func logTail(lines: Int = 40) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "(no log)"
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    private static func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }

    // MARK: - The shared server

    private final class Shared: @unchecked Sendable {
        static let slot = Shared()
        let lock = NSLock()
        var result: Result<PostgresRig, any Error>?
    }

    private static func stopShared() {
        let rig = Shared.slot.lock.withLock { try? Shared.slot.result?.get() }
        rig?.stop()
    }
}
