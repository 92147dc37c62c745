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
    /// The latest block when the server became ready (`rig_send`, `evm_mine` move it on).
    public var latestBlock: Int { ready["latestBlock"] as? Int ?? -1 }
    public var chainId: Int { ready["chainId"] as? Int ?? 0 }
    /// latest − `finalizedDepth` at start; nil without that option (the tags then name latest).
    public var finalizedBlock: Int? { ready["finalizedBlock"] as? Int }

    /// The servers' chain-at-scale options (Tests/EVM/README.md); nil leaves the default.
    public struct Options: Sendable {
        /// `eth_chainId`, `net_version` and the EVM's chain id.
        public var chainId: Int?
        /// `safe` and `finalized` name latest − this.
        public var finalizedDepth: Int?
        /// `eth_getLogs` over more blocks answers -32005.
        public var maxLogRange: Int?
        /// `eth_getLogs` with more logs answers -32005.
        public var maxLogs: Int?

        public init(chainId: Int? = nil, finalizedDepth: Int? = nil, maxLogRange: Int? = nil, maxLogs: Int? = nil) {
            self.chainId = chainId
            self.finalizedDepth = finalizedDepth
            self.maxLogRange = maxLogRange
            self.maxLogs = maxLogs
        }

        public var arguments: [String] {
            [("--chain-id", chainId), ("--finalized-depth", finalizedDepth), ("--max-log-range", maxLogRange), ("--max-logs", maxLogs)]
                .flatMap { option, value in value.map { [option, String($0)] } ?? [] }
        }
    }

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

    /// `start(server:_:)` with `options` before the other arguments.
    public static func start(server: String = "rpc_server.py", options: Options, _ arguments: [String] = []) async throws -> EVMRig {
        try await start(server: server, options.arguments + arguments)
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
        guard let result = try rpc("rig_stats") as? [String: Any] else { throw Failure(description: "rig_stats gave no answer") }
        return result
    }

    /// A JSON-RPC error answer.
    public struct RPCError: Error, CustomStringConvertible {
        public var code: Int
        public var message: String
        /// `data`, when it is a string (a revert's bytes).
        public var data: String?
        public var description: String { "JSON-RPC error \(code): \(message)" }
    }

    /// One JSON-RPC call to the server (any method, `rig_*` ones uncounted): its `result` as
    /// JSONSerialization gives it (`NSNull` for null), or `RPCError`. Params: JSON values
    /// (numbers, strings, booleans, arrays, dictionaries).
    public func rpc(_ method: String, _ params: [Any] = []) throws -> Any {
        let body: [String: Any] = ["jsonrpc": "2.0", "id": 1, "method": method, "params": params]
        guard JSONSerialization.isValidJSONObject(body) else { throw Failure(description: "\(method): params are not JSON: \(params)") }
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        let semaphore = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var answer: Data?
        nonisolated(unsafe) var failure: (any Error)?
        URLSession.shared.dataTask(with: request) { data, _, error in
            answer = data
            failure = error
            semaphore.signal()
        }.resume()
        semaphore.wait()
        guard let answer, let object = try? JSONSerialization.jsonObject(with: answer) as? [String: Any] else {
            throw Failure(description: "\(method) gave no answer\(failure.map { ": \($0)" } ?? "")")
        }
        if let error = object["error"] as? [String: Any] {
            throw RPCError(code: error["code"] as? Int ?? 0, message: error["message"] as? String ?? "", data: error["data"] as? String)
        }
        guard let result = object["result"] else { throw Failure(description: "\(method): no result in \(object)") }
        return result
    }

    /// A transaction `rig_send` mined.
    public struct Sent: Sendable {
        public var block: Int
        public var blockHash: String
        public var hash: String
        /// 1: success.
        public var status: Int
        /// The function's return data (`create`: the new id).
        public var output: String

        init(_ object: Any) throws {
            guard let o = object as? [String: Any], let block = o["block"] as? Int, let blockHash = o["blockHash"] as? String,
                  let hash = o["hash"] as? String, let status = o["status"] as? Int, let output = o["output"] as? String
            else { throw Failure(description: "not a rig_send answer: \(object)") }
            (self.block, self.blockHash, self.hash, self.status, self.output) = (block, blockHash, hash, status, output)
        }
    }

    /// Sends `signature(arguments)` to the escrow from its owner, mined in a block of its own:
    /// `send("withdraw(uint256,uint128)", [2, 50])`. Amounts above 2^53 as decimal strings.
    /// A call that would revert throws `RPCError` (code 3, the reason in `message`) and sends nothing.
    @discardableResult
    public func send(_ signature: String, _ arguments: [Any] = []) throws -> Sent {
        try Sent(rpc("rig_send", [signature, arguments]))
    }

    /// Sends several calls, all in ONE new block, in order; nothing is sent if one would revert.
    @discardableResult
    public func sendMany(_ calls: [(signature: String, arguments: [Any])]) throws -> [Sent] {
        guard let answers = try rpc("rig_sendMany", calls.map { [$0.signature, $0.arguments] as [Any] }) as? [Any] else {
            throw Failure(description: "rig_sendMany: not a list")
        }
        return try answers.map(Sent.init)
    }

    /// What a reorg did.
    public struct Reorg: Sendable {
        public struct Replaced: Sendable {
            public var block: Int
            public var oldHash: String
            public var newHash: String
        }
        public var forkBlock: Int
        public var replaced: [Replaced]
        public var droppedTransactions: [String]
        public var replayedTransactions: [String]

        init(_ object: Any) throws {
            if let error = (object as? [String: Any])?["error"] { throw Failure(description: "a scheduled reorg failed: \(error)") }
            guard let o = object as? [String: Any], let fork = o["forkBlock"] as? Int, let replaced = o["replaced"] as? [[String: Any]],
                  let dropped = o["droppedTransactions"] as? [String], let replayed = o["replayedTransactions"] as? [String]
            else { throw Failure(description: "not a rig_reorg answer: \(object)") }
            self.forkBlock = fork
            self.replaced = try replaced.map {
                guard let block = $0["block"] as? Int, let old = $0["oldHash"] as? String, let new = $0["newHash"] as? String
                else { throw Failure(description: "not a replaced block: \($0)") }
                return Replaced(block: block, oldHash: old, newHash: new)
            }
            (self.droppedTransactions, self.replayedTransactions) = (dropped, replayed)
        }
    }

    /// Replaces the top `depth` blocks with new ones at the same heights (new hashes; their
    /// transactions dropped, or with `replay` re-included in the first new block).
    @discardableResult
    public func reorg(depth: Int = 1, replay: Bool = false) throws -> Reorg {
        try Reorg(rpc("rig_reorg", [depth, ["replay": replay]]))
    }

    /// The same reorg, done by the server right after `afterEthCalls` more `eth_call`s (each
    /// call of a batch counts; an aggregate3 is one), so that it lands inside a client's run.
    public func scheduleReorg(afterEthCalls: Int, depth: Int = 1, replay: Bool = false) throws {
        _ = try rpc("rig_scheduleReorg", [afterEthCalls, depth, ["replay": replay]])
    }

    /// The reorgs done so far (`rig_reorgs`), oldest first.
    public func reorgs() throws -> [Reorg] {
        guard let o = try rpc("rig_reorgs") as? [String: Any], let done = o["reorgs"] as? [Any] else {
            throw Failure(description: "rig_reorgs: unexpected answer")
        }
        return try done.map(Reorg.init)
    }

    /// The hash of canonical block `number`.
    public func blockHash(_ number: Int) throws -> String {
        guard let block = try rpc("eth_getBlockByNumber", ["0x" + String(number, radix: 16), false]) as? [String: Any],
              let hash = block["hash"] as? String else { throw Failure(description: "no block \(number)") }
        return hash
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
