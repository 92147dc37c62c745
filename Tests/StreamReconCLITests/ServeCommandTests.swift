import Foundation
import EVMRigSupport
import GRDB
import LoopbackHTTP
import TestSupport
import Testing

/// `streamrecon serve` as a process: started, called over HTTP, and stopped with a signal.
@Suite("streamrecon serve (the binary)")
struct ServeCommandTests {
    static let token = "cli-serve-token-0123456789abcdefgh"

    /// The environment without any token variable.
    static var cleanEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("STREAMRECON_INTERNAL_TOKEN") }
    }

    @Test func theServerDoesNotStartWithoutAToken() throws {
        let output = try CLIRunner.run(["serve", "--port", "0"], environment: Self.cleanEnvironment)
        #expect(output.status == 2)
        #expect(output.stderr.contains("no service token is configured: set STREAMRECON_INTERNAL_TOKEN"))
        var environment = Self.cleanEnvironment
        environment["STREAMRECON_INTERNAL_TOKEN"] = "short"
        let short = try CLIRunner.run(["serve", "--port", "0"], environment: environment)
        #expect(short.status == 2)
        #expect(short.stderr.contains("token 1 in STREAMRECON_INTERNAL_TOKEN is 5 characters long; at least 32 are required"))
        #expect(!short.stderr.contains("short\n"))
    }

    @Test func badOptionsAreUsageErrors() throws {
        var environment = Self.cleanEnvironment
        environment["STREAMRECON_INTERNAL_TOKEN"] = Self.token
        for arguments in [["--port", "70000"], ["--batch-size", "0"], ["--shutdown-grace", "-1"], ["--log-level", "loud"]] {
            let output = try CLIRunner.run(["serve"] + arguments, environment: environment)
            #expect(output.status == 2, "\(arguments)")
        }
    }

    @Test func sigtermDuringARunLetsItFinishAndRecordIt() async throws {
        // A node that answers every request after 400 ms: a run lasts about two seconds.
        let rig = try await EVMRig.start(["--delay-ms", "400"])
        let data = try RigDemo(rig: rig)
        let server = try await ServeProcess.start(data: data, extra: ["--shutdown-grace", "60"])
        let port = server.port
        async let answer = LoopbackHTTP.post(port: port, token: Self.token)
        let pid = server.process.processIdentifier
        let runId = try await data.runningRun { _ in kill(pid, SIGTERM) }
        let response = try await answer
        try await server.waitForExit()
        let log = try server.log()
        #expect(log.contains("shutting down: waiting for the run in progress"), "the signal came during the run")
        #expect(response.status == 200)
        #expect(try response.json()["runId"] as? String == runId)
        #expect(try response.json()["status"] as? String == "drift")
        #expect(server.process.terminationStatus == 0)
        #expect(try data.runStatuses() == [runId: "drift"])
        #expect(log.contains(#""message":"stopped""#))
    }

    /// A 10 MB answer still being read when SIGTERM arrives is sent whole before the connection
    /// closes (it was cut at about 70 %). The client's small receive buffer keeps it in flight.
    @Test func sigtermWhileAnAnswerIsInFlightSendsItWhole() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamrecon-big-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let dbPath = directory.appendingPathComponent("app.sqlite").path, chainPath = directory.appendingPathComponent("chain.json").path
        let streams = 30_000
        let queue = try DatabaseQueue(path: dbPath)
        let demo = try String(contentsOf: CLIRunner.packageRoot.appendingPathComponent("Fixtures/demo.sql"), encoding: .utf8)
        try queue.inDatabase { db in
            try db.execute(sql: demo)
            let insert = try db.makeStatement(sql: "INSERT INTO streams VALUES (?, '0x1', '0x2', '1000', '0', 'active', '2026-11-01T09:00:00Z', NULL)")
            for index in 0..<streams { try insert.execute(arguments: ["missing_\(index)"]) }
        }
        try queue.close()
        try #"{"blockNumber": 1, "records": []}"#.write(toFile: chainPath, atomically: true, encoding: .utf8)
        let server = try await ServeProcess.start(in: directory, ["--db", dbPath, "--chain", chainPath,
                                                                  "--rules", CLIRunner.packageRoot.appendingPathComponent("Rules/streams.yaml").path,
                                                                  "--log-level", "debug"])
        let connection = try LoopbackConnection(port: server.port, receiveBuffer: 16 * 1024)
        connection.send("POST /api/internal/reconciliation HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(Self.token)\r\n"
            + "Content-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"dryRun\":true}")
        try await Poll.until("the run finished") { try server.log().contains(#""message":"run finished""#) }
        kill(server.process.processIdentifier, SIGTERM)
        // Read only once the server is closing the connection while its answer is in flight.
        try await Poll.until("the server closing the connection") { try server.log().contains("holding a connection's close until its response is sent") }
        let (data, closed) = connection.readUntilClosed(timeout: .seconds(60))
        #expect(closed)
        let text = String(decoding: data, as: UTF8.self)
        let head = try #require(text.range(of: "\r\n\r\n"))
        let length = try #require(text[..<head.lowerBound].split(separator: "\r\n")
            .first { $0.lowercased().hasPrefix("content-length:") }.flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) })
        let body = data.suffix(from: data.startIndex + text.utf8.distance(from: text.utf8.startIndex, to: head.upperBound.samePosition(in: text.utf8)!))
        #expect(length > 8_000_000)
        #expect(body.count == length, "received \(body.count) of \(length) bytes")
        let report = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect((report["discrepancies"] as? [Any])?.count ?? 0 > streams)
        try await server.waitForExit()
        #expect(server.process.terminationStatus == 0)
    }

    @Test func sigtermWithNoGraceStopsTheRunAndRecordsItAborted() async throws {
        let rig = try await EVMRig.start(["--delay-ms", "400"])
        let data = try RigDemo(rig: rig)
        let server = try await ServeProcess.start(data: data, extra: ["--shutdown-grace", "0"])
        let port = server.port
        async let answer = LoopbackHTTP.post(port: port, token: Self.token)
        let pid = server.process.processIdentifier
        let runId = try await data.runningRun { _ in kill(pid, SIGTERM) }
        let response = try await answer
        try await server.waitForExit()
        #expect(response.status == 503)
        #expect(try response.json()["runId"] as? String == runId)
        #expect(server.process.terminationStatus == 0)
        #expect(try data.runStatuses() == [runId: "aborted"])
        let after = try CLIRunner.run(["runs", "list", "--db", data.dbPath, "--format", "json"])
        #expect(after.stdout.contains(#""status" : "aborted""#))
    }
}

/// The demo app DB and the rig's demo rules in a scratch directory (removed when released).
final class RigDemo {
    let directory: URL
    let dbPath: String
    let chain: String
    let rulesPath: String

    init(rig: EVMRig) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamrecon-serve-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        dbPath = directory.appendingPathComponent("app.sqlite").path
        let queue = try DatabaseQueue(path: dbPath)
        try queue.write { try $0.execute(sql: String(contentsOf: CLIRunner.packageRoot.appendingPathComponent("Fixtures/demo.sql"), encoding: .utf8)) }
        try queue.close()
        chain = rig.url
        rulesPath = try rig.demoRules(in: directory)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func runStatuses() throws -> [String: String] {
        try RunTables.statuses(at: dbPath)
    }

    /// Waits until a run is recorded `running`, calls `then` at once (from the watching thread),
    /// and returns the run's id.
    func runningRun(then action: @escaping @Sendable (String) -> Void = { _ in }) async throws -> String {
        try await RunTables.runningRun(at: dbPath, then: action)
    }
}

/// `streamrecon serve --port 0` in a process of its own, logging to a file. Killed when released,
/// whatever the test's outcome, so a failed test never leaves a server behind.
final class ServeProcess {
    let process: Process
    let port: Int
    let logPath: String

    private init(process: Process, port: Int, logPath: String) {
        self.process = process
        self.port = port
        self.logPath = logPath
    }

    deinit { Self.kill(process) }

    private static func kill(_ process: Process) {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    static func start(data: RigDemo, extra: [String]) async throws -> ServeProcess {
        try await start(in: data.directory, ["--db", data.dbPath, "--chain", data.chain, "--rules", data.rulesPath] + extra)
    }

    /// `serve --port 0` with `arguments`, logging to `serve.log` in `directory`.
    static func start(in directory: URL, _ arguments: [String]) async throws -> ServeProcess {
        let logPath = directory.appendingPathComponent("serve.log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let process = Process()
        process.executableURL = CLIRunner.binary
        process.arguments = ["serve", "--port", "0"] + arguments
        process.currentDirectoryURL = CLIRunner.packageRoot
        var environment = ServeCommandTests.cleanEnvironment
        environment["STREAMRECON_INTERNAL_TOKEN"] = ServeCommandTests.token
        process.environment = environment
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        do {
            let port = try await Poll.until("serve listening") { () throws -> Int? in
                let log = try String(contentsOfFile: logPath, encoding: .utf8)
                if let line = log.split(separator: "\n").first(where: { $0.contains(#""message":"listening""#) }),
                   let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String],
                   let port = object["address"]?.split(separator: ":").last.flatMap({ Int($0) }) {
                    return port
                }
                guard process.isRunning else { throw LoopbackHTTP.Failure("serve exited: \(log)") }
                return nil
            }
            return ServeProcess(process: process, port: port, logPath: logPath)
        } catch {
            kill(process)
            throw error
        }
    }

    /// Waits for the server to exit after a signal; kills it if it has not within the deadline.
    func waitForExit() async throws {
        defer { Self.kill(process) }
        try await Poll.until("serve exiting") { !process.isRunning }
    }

    func log() throws -> String {
        try String(contentsOfFile: logPath, encoding: .utf8)
    }
}
