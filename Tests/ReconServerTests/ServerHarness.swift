import Foundation
import LoopbackHTTP
import TestSupport
import Logging
import ReconServer
import ReconSources
import ReconAssembly
import ReconSQLite
import Reconciliation
import Synchronization
import Testing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
let tokenA = "token-alpha-0123456789abcdefghijkl"
let tokenB = "token-bravo-fedcba9876543210zyxwvu"

/// Log lines the server wrote, parsed.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var sink: JSONLogHandler.Sink { { line in self.lines.withLock { $0.append(line) } } }
    var text: String { lines.withLock { $0.joined() } }
    var entries: [[String: String]] {
        lines.withLock { $0 }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] }
    }
}

/// Holds a chain source's `open` until the test lets it go: a run that is in progress for as
/// long as a test needs.
actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private(set) var arrivals = 0

    func wait() async {
        arrivals += 1
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        waiters.forEach { $0.resume() }
        waiters = []
    }

    /// Holds the runs that arrive from now on, until the next `open`.
    func close() {
        isOpen = false
    }
}

struct GatedChain: ChainSource {
    let inner: ChainSnapshotFile
    let gate: Gate
    var displayName: String { inner.displayName }

    func open(_ query: SourceQuery) async throws(SourceError) -> any ChainView {
        await gate.wait()
        return try await inner.open(query)
    }
}

/// A server on an ephemeral loopback port, in this process, over a copy of the demo data.
struct ServerHarness {
    let directory: URL
    let rulesPath: String
    let dbPath: String
    let port: Int
    let server: ReconServer
    let logs: LogCapture
    let gate: Gate?
    private let task: Task<Void, any Error>

    /// Starts a server, runs `body` against it, and stops it.
    /// `database` replaces the fresh demo DB with a copy of that file.
    /// `locationPrefix` goes before the DB's path in `--db` (such as `sqlite:`).
    static func with(tokens: [String] = [tokenA], gate: Gate? = nil, shutdownGrace: Duration = .seconds(30), idleTimeout: Duration = .seconds(30),
                     database: String? = nil, locationPrefix: String = "", configure: (inout ServerConfiguration, URL) throws -> Void = { _, _ in },
                     _ body: (ServerHarness) async throws -> Void) async throws {
        let harness = try await start(tokens: tokens, gate: gate, shutdownGrace: shutdownGrace, idleTimeout: idleTimeout, database: database,
                                      locationPrefix: locationPrefix, configure: configure)
        do {
            try await body(harness)
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }

    /// `configure` changes the configuration; it gets the server's scratch directory.
    static func start(tokens: [String], gate: Gate?, shutdownGrace: Duration, idleTimeout: Duration = .seconds(30), database: String?,
                      locationPrefix: String, configure: (inout ServerConfiguration, URL) throws -> Void = { _, _ in }) async throws -> ServerHarness {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamrecon-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let demo = DemoData(root: repositoryRoot)
        let dbPath = directory.appendingPathComponent("app.sqlite").path
        if let database {
            try FileManager.default.copyItem(atPath: database, toPath: dbPath)
        } else {
            try demo.prepareDatabase(at: dbPath)
        }
        let rulesPath = directory.appendingPathComponent("streams.yaml").path
        try FileManager.default.copyItem(atPath: repositoryRoot.appendingPathComponent("Rules/streams.yaml").path, toPath: rulesPath)
        var assembly = Assembly.standard
        if let gate {
            @Sendable func gated(_ path: String) throws(SourceError) -> any ChainSource {
                GatedChain(inner: ChainSnapshotFile(path: path), gate: gate)
            }
            assembly.sources.register(chains: [""], gated)
        }
        var configuration = ServerConfiguration(port: 0, rulesPath: rulesPath, database: locationPrefix + dbPath, chain: demo.chainPath,
                                                tokens: try ServiceTokens(tokens), shutdownGrace: shutdownGrace, idleTimeout: idleTimeout,
                                                assembly: assembly)
        try configure(&configuration, directory)
        let logs = LogCapture()
        let logger = Logger(label: "test.serve") { JSONLogHandler(label: $0, logLevel: .debug, sink: logs.sink) }
        let server = ReconServer(configuration: configuration, logger: logger)
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let task = Task { try await server.run(signals: []) { portSink.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw LoopbackHTTP.Failure("the server did not start") }
        return ServerHarness(directory: directory, rulesPath: rulesPath, dbPath: dbPath, port: port, server: server, logs: logs,
                             gate: gate, task: task)
    }

    func stop() async {
        await gate?.open() // a run held at the gate would hold the server's shutdown
        task.cancel()
        _ = await task.result
        try? FileManager.default.removeItem(at: directory)
    }

    func post(token: String? = tokenA, json: String = "", query: String = "") async throws -> LoopbackHTTP.Response {
        try await LoopbackHTTP.post(port: port, path: "/api/internal/reconciliation" + query, token: token, json: json)
    }

    func get(_ path: String, token: String? = tokenA) async throws -> LoopbackHTTP.Response {
        try await LoopbackHTTP.send(port: port, path: path, headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
    }

    /// Run ids recorded in the app DB, with their statuses.
    func recordedRuns() throws -> [String: String] {
        try RunTables.statuses(at: dbPath)
    }

    /// Waits until a run is recorded `running` in the app DB, and returns its id.
    func runRecorded() async throws -> String {
        try await RunTables.runningRun(at: dbPath)
    }

    /// Waits until the coordinator has a run in progress, and returns its id.
    func runInProgress() async throws -> String {
        try await Poll.until("a run in progress") { await server.coordinator.runningId }
    }

    /// Waits until the server has logged `message`.
    func logged(_ message: String) async throws {
        try await Poll.until("the log line '\(message)'") { logs.entries.contains { $0["message"] == message } }
    }
}
