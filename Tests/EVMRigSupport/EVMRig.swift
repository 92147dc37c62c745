import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The Python EVM rig (Tests/EVM): a real py-evm chain behind a JSON-RPC server on 127.0.0.1.
/// The first use installs its venv (`Tests/EVM/bootstrap.sh`, from PyPI, into `.build/evm-venv`);
/// each server is a child process that stops when the value is released.
public final class EVMRig: @unchecked Sendable {
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
    static let venv = repositoryRoot.appendingPathComponent(".build/evm-venv")

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Installs the venv once per test process (the script is idempotent and locks itself).
    private static let bootstrap: Result<Void, Failure> = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [repositoryRoot.appendingPathComponent("Tests/EVM/bootstrap.sh").path, venv.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        do { try process.run() } catch { return .failure(Failure(description: "cannot run bootstrap.sh: \(error)")) }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus == 0 ? .success(()) : .failure(Failure(description: "bootstrap.sh failed: \(text)"))
    }()

    public let process: Process
    /// The ready line: `port`, `escrow`, `pinnedBlock`, `latestBlock`, `moved`, …
    public let ready: [String: Any]
    private let stdin: Pipe

    public var port: Int { ready["port"] as? Int ?? 0 }
    public var url: String { "http://127.0.0.1:\(port)" }
    public var escrow: String { ready["escrow"] as? String ?? "" }
    public var pinnedBlock: Int { ready["pinnedBlock"] as? Int ?? -1 }

    /// `init` on a thread of its own: installing the venv and waiting for the ready line take
    /// seconds (minutes, the first time), and must not hold a thread of the cooperative pool that
    /// every other test's tasks share.
    public static func start(server: String = "rpc_server.py", _ arguments: [String] = []) async throws -> EVMRig {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try EVMRig(server: server, arguments) })
            }
        }
    }

    /// Starts `rpc_server.py` (or `fault_server.py` with `--mode`) with `arguments`, and waits for its ready line.
    public init(server: String = "rpc_server.py", _ arguments: [String] = []) throws {
        try Self.bootstrap.get()
        let process = Process()
        process.executableURL = Self.venv.appendingPathComponent("bin/python")
        process.arguments = [Self.repositoryRoot.appendingPathComponent("Tests/EVM/\(server)").path, "--port", "0"] + arguments
        process.currentDirectoryURL = Self.repositoryRoot
        let stdout = Pipe(), stdin = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin // the server exits when this closes, so it never outlives the tests
        process.standardError = FileHandle.standardError
        try process.run()
        // The ready line, read on a thread of its own so that a server that hangs cannot hang the tests.
        let reader = ReadyLine(stdout.fileHandleForReading)
        guard let line = reader.wait(seconds: 120) else {
            process.terminate()
            throw Failure(description: "\(server) printed no ready line within 120 s")
        }
        guard let ready = try? JSONSerialization.jsonObject(with: line) as? [String: Any], ready["port"] is Int else {
            process.terminate()
            throw Failure(description: "\(server) did not start: '\(String(decoding: line, as: UTF8.self))'")
        }
        self.process = process
        self.ready = ready
        self.stdin = stdin
    }

    deinit {
        try? stdin.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// The server's request counts (`rig_stats`).
    public func stats() throws -> [String: Any] {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.httpBody = Data(#"{"jsonrpc":"2.0","id":1,"method":"rig_stats","params":[]}"#.utf8)
        let semaphore = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: [String: Any]?
        URLSession.shared.dataTask(with: request) { data, _, _ in
            result = data.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }?["result"] as? [String: Any]
            semaphore.signal()
        }.resume()
        semaphore.wait()
        guard let result else { throw Failure(description: "rig_stats gave no answer") }
        return result
    }

    /// The rig's demo rules with this chain's escrow address.
    public func demoRules(in directory: URL) throws -> String {
        let template = try String(contentsOf: Self.repositoryRoot.appendingPathComponent("Tests/EVM/demo-rules.yaml"), encoding: .utf8)
        let path = directory.appendingPathComponent("demo-rules-\(UUID().uuidString).yaml").path
        try template.replacingOccurrences(of: "0xF2E246BB76DF876Cef8b38ae84130F4F55De395b", with: escrow)
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// Reads one line from a pipe on its own thread; the caller waits for it with a limit.
private final class ReadyLine: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var line = Data()

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let byte = handle.readData(ofLength: 1)
                if byte.isEmpty || byte == Data("\n".utf8) { break }
                line += byte
            }
            done.signal()
        }
    }

    func wait(seconds: Int) -> Data? {
        done.wait(timeout: .now() + .seconds(seconds)) == .success ? line : nil
    }
}
