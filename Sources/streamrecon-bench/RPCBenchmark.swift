import Foundation
import GRDB
import Hummingbird
import Logging
import ReconChain
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Reading N streams × 3 views from a loopback JSON-RPC node that answers every HTTP request
/// after a fixed delay: the naive way (one request per read, in sequence) against
/// `streamrecon run` (batches or Multicall3, a few in flight), both measured in one run.
enum RPCBenchmark {
    static let contract = try! EthereumAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
    static let views = [
        try! ViewSignature(parsing: "getDepositedAmount(uint256) returns (uint128)"),
        try! ViewSignature(parsing: "getWithdrawnAmount(uint256) returns (uint128)"),
        try! ViewSignature(parsing: "statusOf(uint256) returns (uint8)"),
    ]
    static let count = try! ViewSignature(parsing: "nextStreamId() returns (uint256)")

    static func run() async throws {
        let streams = option("--streams", default: 10_000)
        let delay = option("--delay-ms", default: 5)
        let batchSize = option("--batch-size", default: 200)
        let node = SyntheticNode(streams: streams, delay: .milliseconds(delay))
        let scratch = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let (port, server) = try await node.start()
        defer { server.cancel() }
        let url = "http://127.0.0.1:\(port)"
        let db = scratch.appendingPathComponent("app.sqlite").path
        try writeDatabase(db, streams: streams)
        print("node: 127.0.0.1:\(port), every HTTP request answered after \(delay) ms; \(streams) streams × \(views.count) views")

        node.reset()
        let naive = try await seconds { try await naiveReads(url: url, streams: streams) }
        let naiveRequests = node.requests
        print(String(format: "naive (one request per read, in sequence): %6d HTTP requests  %8.2f s", naiveRequests, naive))

        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("streamrecon")
        for multicall in [true, false] {
            node.multicall = multicall
            node.reset()
            let rules = scratch.appendingPathComponent("rules-\(multicall).yaml").path
            try rulesText(batchSize: batchSize, multicall: multicall).write(toFile: rules, atomically: true, encoding: .utf8)
            var status: Int32 = 0
            let wall = try seconds {
                status = try runChild(binary, ["run", "--rules", rules, "--db", db, "--chain", url, "--dry-run", "--format", "json",
                                               "--output", scratch.appendingPathComponent("report.json").path])
            }
            guard status == 0 else { throw BenchError("streamrecon run exited \(status); expected 0 (no drift)") }
            let requests = node.requests
            let label = multicall ? "streamrecon, Multicall3 aggregate3" : "streamrecon, JSON-RPC batch arrays"
            print(String(format: "%@ (batch_size %d): %6d HTTP requests  %8.2f s   %.0f× fewer requests, %.0f× less time",
                         label, batchSize, requests, wall, Double(naiveRequests) / Double(requests), naive / wall))
        }
    }

    /// The benchmark's rules; `incremental` adds `db.updated_at` and the synthetic chain's events.
    static func rulesText(name: String = "rpc-bench", batchSize: Int, multicall: Bool, confirmations: Int = 2, incremental: Bool = false) -> String {
        let events = """
              events:
                - event: \(SyntheticChain.withdrawDeclaration)
                  id: streamId
                - event: \(SyntheticChain.cancelDeclaration)
                  id: streamId

            """
        return """
            version: 1
            name: \(name)
            key: { db: id, chain: id }
            db: { table: streams\(incremental ? ", updated_at: updated_at" : "") }
            evm:
              contract: "\(contract.checksummed)"
              confirmations: \(confirmations)
              count: nextStreamId() returns (uint256)
              batch_size: \(batchSize)
              multicall: \(multicall ? "auto" : "off")
            \(incremental ? events : "")fields:
              deposited: { type: amount, chain: getDepositedAmount(uint256) returns (uint128) }
              withdrawn: { type: amount, chain: getWithdrawnAmount(uint256) returns (uint128) }
              state: { type: integer, chain: statusOf(uint256) returns (uint8) }

            """
    }

    /// The app DB of `streams` streams at their initial values; with `stamp`, an `updated_at` column holding it.
    static func writeDatabase(_ path: String, streams: Int, stamp: String? = nil) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE streams (id TEXT PRIMARY KEY, deposited TEXT, withdrawn TEXT, state INTEGER\(stamp == nil ? "" : ", updated_at TEXT"))")
            let insert = try db.makeStatement(sql: "INSERT INTO streams VALUES (?, ?, ?, ?\(stamp == nil ? "" : ", ?"))")
            for id in 1...UInt64(streams) {
                let values = SyntheticChain.initialValues(id)
                let row: [(any DatabaseValueConvertible)?] = [String(id), String(values[0]), String(values[1]), Int(values[2])]
                try insert.execute(arguments: StatementArguments(row + (stamp.map { [$0] } ?? [])))
            }
        }
        try queue.close()
    }

    /// One `eth_call` per read, each awaited before the next: what a loop over the views does.
    static func naiveReads(url: String, streams: Int) async throws {
        let session = URLSession(configuration: .ephemeral)
        func call(_ data: [UInt8]) async throws {
            var request = URLRequest(url: URL(string: url)!)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            let body = #"{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"to":"\#(contract.lowercased)","data":"\#(Hex.encode(data))"},"latest"]}"#
            request.httpBody = Data(body.utf8)
            let (answer, _) = try await session.data(for: request)
            guard answer.count > 40 else { throw BenchError("a naive read got no result") }
        }
        try await call(try count.encodeCall([]))
        for id in 1...streams {
            for view in views { try await call(try view.encodeCall([.uint(UInt256(UInt64(id)))])) }
        }
    }


    static func runChild(_ binary: URL, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
