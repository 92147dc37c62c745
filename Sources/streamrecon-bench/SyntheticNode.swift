import Foundation
import Hummingbird
import Logging
import ReconChain
import Synchronization

/// A JSON-RPC node in this process, serving `chain` (one synthetic stream contract, and
/// Multicall3 when `multicall`): `eth_blockNumber`, `eth_getBlockByNumber`, `eth_getCode`,
/// `eth_call` at any mined block, `eth_getLogs`, and batches of them. Every HTTP request is
/// answered after `latency`. With `rps`, it limits requests as a hosted provider does: a token
/// bucket of `rps` a second (a burst of `rps`); a request beyond it gets HTTP 429 with
/// `Retry-After: 1`. With `maxLogRange`, `eth_getLogs` over more blocks is refused (-32005).
final class SyntheticNode: Sendable {
    let chain: SyntheticChain
    let latency: Duration
    let rps: Int?
    let maxLogRange: UInt64?
    private let state: Mutex<State>

    /// What the node got since the last `reset`.
    struct Traffic: Sendable {
        var answered = 0
        /// Refused with HTTP 429.
        var refused = 0
        /// Answered HTTP requests and the JSON-RPC calls in them, by what they asked.
        var byMethod: [String: (requests: Int, calls: Int)] = [:]

        var requests: Int { answered + refused }
    }

    private struct State {
        var traffic = Traffic()
        var multicall = true
        var tokens: Double
        var refilled = ContinuousClock.now
    }

    init(chain: SyntheticChain, latency: Duration, rps: Int? = nil, maxLogRange: UInt64? = nil) {
        self.chain = chain
        self.latency = latency
        self.rps = rps
        self.maxLogRange = maxLogRange
        state = Mutex(State(tokens: Double(rps ?? 0)))
    }

    convenience init(streams: Int, delay: Duration) {
        self.init(chain: SyntheticChain(streams: streams, head: 100), latency: delay)
    }

    var traffic: Traffic { state.withLock { $0.traffic } }
    var requests: Int { traffic.requests }
    var multicall: Bool {
        get { state.withLock { $0.multicall } }
        set { state.withLock { $0.multicall = newValue } }
    }
    func reset() { state.withLock { $0.traffic = Traffic() } }

    /// Stream `id`'s deposited, withdrawn and status before any change.
    static func values(_ id: UInt64) -> [UInt256] { SyntheticChain.initialValues(id).map { UInt256($0) } }

    func start() async throws -> (port: Int, task: Task<Void, any Error>) {
        let router = Router()
        router.post("/") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 64 << 20)
            let admitted = self.admit()
            try await Task.sleep(for: self.latency)
            guard admitted else {
                let refusal = #"{"jsonrpc":"2.0","id":null,"error":{"code":429,"message":"Too Many Requests: at most \#(self.rps ?? 0) requests per second"}}"#
                return Response(status: .tooManyRequests, headers: [.contentType: "application/json", .retryAfter: "1"],
                                body: .init(byteBuffer: ByteBuffer(string: refusal)))
            }
            let (answer, label, calls) = self.answer(Data(body.readableBytesView))
            self.state.withLock { state in
                state.traffic.byMethod[label, default: (0, 0)].requests += 1
                state.traffic.byMethod[label, default: (0, 0)].calls += calls
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: answer)))
        }
        let (ports, sink) = AsyncStream.makeStream(of: Int.self)
        var quiet = Logger(label: "rpc-bench.node")
        quiet.logLevel = .critical // the cancellation at the end is expected
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { sink.yield($0.localAddress?.port ?? 0) }, logger: quiet)
        let task = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw BenchError("the node did not start") }
        return (port, task)
    }

    /// Counts the request, and whether the rate limit lets it through.
    private func admit() -> Bool {
        state.withLock { state in
            guard let rps else {
                state.traffic.answered += 1
                return true
            }
            let now = ContinuousClock.now
            state.tokens = min(Double(rps), state.tokens + seconds(between: state.refilled, and: now) * Double(rps))
            state.refilled = now
            guard state.tokens >= 1 else {
                state.traffic.refused += 1
                return false
            }
            state.tokens -= 1
            state.traffic.answered += 1
            return true
        }
    }

    private func seconds(between start: ContinuousClock.Instant, and end: ContinuousClock.Instant) -> Double {
        let elapsed = end - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    private enum Reply {
        case result(Any)
        case error(code: Int, message: String)
    }

    /// The answer to a request body, what it asked (its methods), and how many calls it held.
    private func answer(_ body: Data) -> (Data, String, Int) {
        let json = try? JSONSerialization.jsonObject(with: body)
        let calls = (json as? [[String: Any]]) ?? (json as? [String: Any]).map { [$0] } ?? []
        let answers: [[String: Any]] = calls.map { call in
            var answer: [String: Any] = ["jsonrpc": "2.0", "id": call["id"] ?? NSNull()]
            switch reply(call["method"] as? String ?? "", call["params"] as? [Any] ?? []) {
            case .result(let result): answer["result"] = result
            case .error(let code, let message): answer["error"] = ["code": code, "message": message] as [String: Any]
            }
            return answer
        }
        let payload: Any = json is [Any] ? answers : (answers.first ?? [:])
        let asked = Set(calls.map(label)).sorted().joined(separator: " + ")
        return ((try? JSONSerialization.data(withJSONObject: payload)) ?? Data(), asked, calls.count)
    }

    private func label(_ call: [String: Any]) -> String {
        let method = call["method"] as? String ?? "?"
        guard method == "eth_call", let to = ((call["params"] as? [Any])?.first as? [String: Any])?["to"] as? String else { return method }
        return to.lowercased() == Multicall3.address.lowercased ? "eth_call (Multicall3 aggregate3)" : "eth_call"
    }

    private func reply(_ method: String, _ params: [Any]) -> Reply {
        switch method {
        case "eth_blockNumber": return .result(hex(chain.head))
        case "eth_getBlockByNumber": return .result(chain.header(params.first as? String ?? "latest"))
        case "eth_getCode":
            let address = (params.first as? String)?.lowercased()
            if address == RPCBenchmark.contract.lowercased { return .result("0x6080") }
            return .result(address == Multicall3.address.lowercased && multicall ? "0x6080" : "0x")
        case "eth_call":
            guard let call = params.first as? [String: Any], let to = call["to"] as? String, let data = call["data"] as? String ?? call["input"] as? String,
                  let bytes = try? Hex.decode(data) else { return .error(code: -32602, message: "invalid call object") }
            guard let block = chain.block(params.count > 1 ? params[1] as? String ?? "latest" : "latest") else {
                return .error(code: -32000, message: "header not found")
            }
            if to.lowercased() == Multicall3.address.lowercased, let subcalls = try? Multicall3.decodeAggregate3Call(bytes) {
                let results = subcalls.map { Multicall3.Result(success: true, returnData: view($0.callData, at: block)) }
                return .result(Hex.encode(Multicall3.encodeAggregate3Result(results)))
            }
            return .result(Hex.encode(view(bytes, at: block)))
        case "eth_getLogs": return logs(params.first as? [String: Any] ?? [:])
        default: return .error(code: -32601, message: "the method \(method) does not exist/is not available")
        }
    }

    private func logs(_ filter: [String: Any]) -> Reply {
        guard let from = chain.block(filter["fromBlock"] as? String ?? "latest"), let to = chain.block(filter["toBlock"] as? String ?? "latest") else {
            return .error(code: -32000, message: "header not found")
        }
        guard from <= to else { return .error(code: -32602, message: "invalid block range params") }
        if let maxLogRange, to - from + 1 > maxLogRange {
            return .error(code: -32005, message: "block range too large: eth_getLogs is limited to a \(maxLogRange) block range")
        }
        let addresses = (filter["address"] as? [String]) ?? (filter["address"] as? String).map { [$0] } ?? []
        guard addresses.isEmpty || addresses.contains(where: { $0.lowercased() == RPCBenchmark.contract.lowercased }) else { return .result([Any]()) }
        let topics = filter["topics"] as? [Any] ?? []
        let topic0 = topics.first.map { ($0 as? [String]) ?? ($0 as? String).map { [$0] } ?? [] } ?? []
        return .result(chain.logs(from...to, topic0: Set(topic0.map { $0.lowercased() })))
    }

    /// The return data of one view call at `block`.
    private func view(_ data: [UInt8], at block: UInt64) -> [UInt8] {
        let selector = ABISelector(prefixOf: data)
        if selector == RPCBenchmark.count.selector { return UInt256(UInt64(chain.streams + 1)).bigEndianBytes }
        guard data.count == 36, let id = UInt256(bigEndianBytes: data.suffix(32)), let index = RPCBenchmark.views.firstIndex(where: { $0.selector == selector }),
              let small = UInt64(exactly: id.low), id.high == 0, small >= 1, small <= chain.streams else { return [] }
        return UInt256(chain.values(small, at: block)[index]).bigEndianBytes
    }
}
