import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One JSON-RPC call: a method and its parameters (strings, or an `eth_call` object).
public struct RPCCall: Sendable {
    public enum Parameter: Sendable {
        case string(String)
        case call(to: String, data: String)
        case bool(Bool)
        /// An `eth_getLogs` filter: the contract, an inclusive block range, and topic 0's alternatives.
        case logFilter(address: String, fromBlock: String, toBlock: String, topic0: [String])
    }

    public var method: String
    public var params: [Parameter]

    public init(_ method: String, _ params: [Parameter] = []) {
        self.method = method
        self.params = params
    }
}

/// The answer to one call: its hex result, or the error object the node returned.
public enum RPCOutcome: Sendable, Equatable {
    case result(String)
    /// A result that is not a string (an object, a list, null), as JSON.
    case structured(Data)
    /// A JSON-RPC error; `data` is the revert data of an `eth_call` that reverted.
    case error(code: Int, message: String, data: String?)

    /// Whether this is a contract revert (geth's code 3, or a message that says so), as opposed to a node error.
    public var isRevert: Bool {
        guard case .error(let code, let message, _) = self else { return false }
        let text = message.lowercased()
        return code == 3 || text.contains("revert") || text.contains("vm execution error")
    }

    /// Whether this error says the node is busy or behind (rate limited, a backend without the block yet): worth asking again.
    public var isTransient: Bool {
        guard case .error(let code, let message, _) = self, !isRevert else { return false }
        let text = message.lowercased()
        guard !isRangeRefusal else { return false }
        return code == 429 || code == -32005 || text.contains("rate limit") || text.contains("too many requests")
            || text.contains("header not found") || text.contains("timeout") || text.contains("try again")
    }

    /// Whether this error refuses an `eth_getLogs` range as too wide or its answer as too large
    /// ("block range too large", "query returned more than 10000 results", "Log response size
    /// exceeded"): asking again for a narrower range is the answer, not waiting.
    public var isRangeRefusal: Bool {
        guard case .error(_, let message, _) = self else { return false }
        let text = message.lowercased()
        return ["range", "more than", "too many results", "response size", "too large", "block span", "results exceed"].contains { text.contains($0) }
    }
}

/// Why a request got no usable answer after every retry. Names the endpoint's display name only.
public struct RPCFailure: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// How the client retries and waits.
public struct RPCPolicy: Sendable {
    /// Seconds a request may take (including a connection that never answers).
    public var timeout: TimeInterval = 30
    /// Attempts per request, the first included.
    public var attempts = 5
    /// The first backoff; it doubles each retry, with ±50% jitter, up to `maxBackoff`.
    public var backoff: TimeInterval = 0.25
    public var maxBackoff: TimeInterval = 10
    /// The longest `Retry-After` honoured.
    public var maxRetryAfter: TimeInterval = 60

    public init() {}
}

/// JSON-RPC 2.0 over HTTP(S): batch arrays, and retries with exponential backoff and jitter on
/// transport errors, timeouts, 429 (honouring `Retry-After`), 5xx, and answers that are not
/// valid JSON-RPC (malformed, ids missing). A JSON-RPC error (a revert) is an answer, never retried.
public final class JSONRPCClient: Sendable {
    public let endpoint: RPCEndpoint
    public let policy: RPCPolicy
    private let session: URLSession
    private let counter = RequestCounter()

    public init(endpoint: RPCEndpoint, policy: RPCPolicy = RPCPolicy()) {
        self.endpoint = endpoint
        self.policy = policy
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = policy.timeout
        configuration.timeoutIntervalForResource = policy.timeout
        configuration.httpMaximumConnectionsPerHost = 8
        session = URLSession(configuration: configuration)
    }

    deinit { session.invalidateAndCancel() }

    /// HTTP requests sent so far, retries included.
    public var requestsSent: Int { counter.value }

    /// Sends `calls` as one batch (a single call as a plain request) and returns their outcomes in order.
    public func send(_ calls: [RPCCall]) async throws(RPCFailure) -> [RPCOutcome] {
        guard !calls.isEmpty else { return [] }
        let body = Self.encode(calls)
        var lastProblem = ""
        for attempt in 0..<policy.attempts {
            if Task.isCancelled { throw RPCFailure("\(endpoint.displayName): stopped") }
            var wait = min(policy.maxBackoff, policy.backoff * pow(2, Double(attempt))) * Double.random(in: 0.5...1.5)
            switch await exchange(body) {
            case .success(let data):
                switch Self.decode(data, count: calls.count) {
                case .success(let outcomes):
                    // A node that rate-limits or lags inside an HTTP 200 answers error objects: ask again.
                    guard let busy = outcomes.first(where: \.isTransient), attempt + 1 < policy.attempts else { return outcomes }
                    if case .error(let code, let message, _) = busy { lastProblem = "the node answered error \(code): \(message.prefix(120))" }
                case .failure(let problem): lastProblem = problem.description
                }
            case .failure(let problem):
                lastProblem = problem.message
                if !problem.retry { throw RPCFailure("\(endpoint.displayName): \(problem.message)") }
                if let retryAfter = problem.retryAfter, retryAfter.isFinite { wait = min(max(0, retryAfter), policy.maxRetryAfter) }
            }
            if attempt + 1 < policy.attempts { try? await Task.sleep(for: .seconds(wait)) }
        }
        throw RPCFailure("\(endpoint.displayName): no usable answer after \(policy.attempts) attempts; last: \(lastProblem)")
    }

    /// One call alone.
    public func send(_ call: RPCCall) async throws(RPCFailure) -> RPCOutcome {
        try await send([call])[0]
    }

    private struct Problem: Error {
        var message: String
        var retry: Bool
        var retryAfter: TimeInterval?
    }

    private func exchange(_ body: Data) async -> Result<Data, Problem> {
        var request = URLRequest(url: endpoint.url, timeoutInterval: policy.timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        counter.increment()
        let data: Data, response: URLResponse
        do {
            (data, response) = try await transfer(request)
        } catch let error as URLError {
            let what = error.code == .timedOut ? "no answer within \(Int(policy.timeout)) s" : "transport error (\(error.code.rawValue))"
            return .failure(Problem(message: what, retry: true))
        } catch {
            return .failure(Problem(message: "transport error", retry: true))
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        switch status {
        case 200..<300:
            return .success(data)
        case 429:
            let after = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Retry-After").flatMap(Self.retryAfter)
            return .failure(Problem(message: "HTTP 429 (rate limited)", retry: true, retryAfter: after))
        case 500..<600:
            return .failure(Problem(message: "HTTP \(status)", retry: true))
        default:
            return .failure(Problem(message: "HTTP \(status)", retry: false))
        }
    }

    /// One HTTP exchange that a cancelled run stops. Not `URLSession.data(for:)`: on Linux its
    /// cancellation handler calls `URLSessionTask.cancel()` under the Swift task's status lock,
    /// and `cancel()` waits for the session's queue, where the finishing request waits for that
    /// same lock to resume the caller: a run stopped by SIGTERM mid-request hung for good (seen
    /// 2 runs in 8 under load). Here the cancellation reaches the request from another queue.
    private func transfer(_ request: URLRequest) async throws -> (Data, URLResponse) {
        let inFlight = InFlightRequest()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let task = session.dataTask(with: request) { data, response, error in
                    if let error {
                        continuation.resume(throwing: error)
                    } else if let data, let response {
                        continuation.resume(returning: (data, response))
                    } else {
                        continuation.resume(throwing: URLError(.badServerResponse))
                    }
                }
                inFlight.start(task)
            }
        } onCancel: {
            DispatchQueue.global().async { inFlight.cancel() }
        }
    }

    /// A `Retry-After` value in seconds: whole seconds, or an HTTP date; nil for anything else.
    static func retryAfter(_ text: String) -> TimeInterval? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let seconds = UInt32(trimmed) { return TimeInterval(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: trimmed).map { max(0, $0.timeIntervalSinceNow) }
    }

    static func encode(_ calls: [RPCCall]) -> Data {
        let objects: [[String: Any]] = calls.enumerated().map { index, call in
            let params: [Any] = call.params.map {
                switch $0 {
                case .string(let text): text
                case .call(let to, let data): ["to": to, "data": data]
                case .bool(let value): value
                case .logFilter(let address, let fromBlock, let toBlock, let topic0):
                    ["address": address, "fromBlock": fromBlock, "toBlock": toBlock, "topics": [topic0]] as [String: Any]
                }
            }
            return ["jsonrpc": "2.0", "id": index, "method": call.method, "params": params]
        }
        let payload: Any = objects.count == 1 ? objects[0] : objects
        return (try? JSONSerialization.data(withJSONObject: payload)) ?? Data()
    }

    /// The outcomes by id, in call order; a problem when the answer is not a complete JSON-RPC answer.
    static func decode(_ data: Data, count: Int) -> Result<[RPCOutcome], RPCFailure> {
        guard let json = try? JSONSerialization.jsonObject(with: data) else { return .failure(RPCFailure("the answer is not valid JSON")) }
        let objects: [[String: Any]]
        if let array = json as? [[String: Any]] {
            objects = array
        } else if let object = json as? [String: Any] {
            objects = [object]
        } else {
            return .failure(RPCFailure("the answer is not a JSON-RPC response"))
        }
        var outcomes = [RPCOutcome?](repeating: nil, count: count)
        for object in objects {
            let id = (object["id"] as? NSNumber)?.intValue ?? (object["id"] as? String).flatMap { Int($0) }
            guard let id, outcomes.indices.contains(id) else {
                if count == 1, let error = object["error"] as? [String: Any] { // an error about the request itself
                    return .failure(RPCFailure("the node answered an error: \((error["message"] as? String ?? "?").prefix(120))"))
                }
                continue
            }
            if let result = object["result"] as? String {
                outcomes[id] = .result(result)
            } else if object.keys.contains("result") {
                let result = object["result"] ?? NSNull()
                outcomes[id] = .structured((try? JSONSerialization.data(withJSONObject: result, options: [.fragmentsAllowed])) ?? Data("null".utf8))
            } else if let error = object["error"] as? [String: Any] {
                outcomes[id] = .error(code: (error["code"] as? NSNumber)?.intValue ?? 0, message: error["message"] as? String ?? "",
                                      data: error["data"] as? String)
            }
        }
        let missing = outcomes.count { $0 == nil }
        guard missing == 0 else { return .failure(RPCFailure("the answer lacks \(missing) of \(count) ids")) }
        return .success(outcomes.compactMap { $0 })
    }
}

/// A thread-safe count of HTTP requests.
final class RequestCounter: Sendable {
    private let storage = Mutex(0)
    var value: Int { storage.withLock { $0 } }
    func increment() { storage.withLock { $0 += 1 } }
}

/// The URLSession task of one exchange, and whether it was cancelled before it started.
private final class InFlightRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var task: URLSessionDataTask?
    private var cancelled = false

    func start(_ task: URLSessionDataTask) {
        let cancelled = lock.withLock {
            self.task = task
            return self.cancelled
        }
        task.resume()
        if cancelled { task.cancel() }
    }

    func cancel() {
        let task = lock.withLock {
            cancelled = true
            return self.task
        }
        task?.cancel()
    }
}
