import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// A webhook receiver on a free loopback port, in this process: it answers the requests it gets
/// with `answers` in turn (the last one again once they run out) and keeps what it got.
public final class Receiver: Sendable {
    public enum Answer: Sendable {
        case status(Int, headers: [String: String] = [:])
        /// Holds the request unanswered until the receiver stops.
        case hang
    }

    public struct Received: Sendable {
        /// The path and query.
        public var target: String
        /// Header values by lowercased name.
        public var headers: [String: String]
        public var body: Data
        public var at: ContinuousClock.Instant
    }

    /// A path and query like a Slack webhook's, which carry its secret.
    public static let secretTarget = "/services/T0000/B0000/s3cretPathPart?token=s3cretQueryPart"

    /// What the receiver got, in order; its handlers and the test share it.
    public final class Inbox: Sendable {
        private let requests = Mutex<[Received]>([])

        var all: [Received] { requests.withLock { $0 } }

        /// Keeps `request`; its index among all the receiver got.
        func record(_ request: Received) -> Int {
            requests.withLock { $0.append(request); return $0.count - 1 }
        }
    }

    public let port: Int
    private let inbox: Inbox
    private let task: Task<Void, any Error>

    public var url: String { "http://127.0.0.1:\(port)\(Self.secretTarget)" }
    public var received: [Received] { inbox.all }

    private init(port: Int, inbox: Inbox, task: Task<Void, any Error>) {
        self.port = port
        self.inbox = inbox
        self.task = task
    }

    /// Starts a receiver, runs `body` against it, and stops it, whether `body` throws or not.
    public static func with<T>(_ answers: [Answer], _ body: (Receiver) async throws -> T) async throws -> T {
        let receiver = try await start(answers)
        do {
            let result = try await body(receiver)
            await receiver.stop()
            return result
        } catch {
            await receiver.stop()
            throw error
        }
    }

    /// A port nothing listens on: one a receiver had, and gave back.
    public static func closedPort() async throws -> Int {
        try await with([.status(200)]) { $0.port }
    }

    private static func start(_ answers: [Answer]) async throws -> Receiver {
        let inbox = Inbox()
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let received = Received(target: request.uri.description, headers: headers, body: Data(body.readableBytesView), at: .now)
            let index = inbox.record(received)
            switch answers[min(index, answers.count - 1)] {
            case .status(let code, let headers):
                var fields = HTTPFields()
                for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
                return Response(status: .init(code: code), headers: fields)
            case .hang:
                try await Task.sleep(for: .seconds(600))
                return Response(status: .ok)
            }
        }
        let (ports, sink) = AsyncStream.makeStream(of: Int.self)
        var quiet = Logger(label: "test.receiver")
        quiet.logLevel = .critical // a cancelled hang at the end is expected
        let app = Application(responder: responder, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { sink.yield($0.localAddress?.port ?? 0) }, logger: quiet)
        let task = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port != 0 else {
            task.cancel()
            throw ReceiverFailure("the receiver did not start")
        }
        return Receiver(port: port, inbox: inbox, task: task)
    }

    private func stop() async {
        task.cancel()
        _ = await task.result
    }

    /// Waits until the receiver has had `count` requests, for up to `limit`.
    public func waitFor(requests count: Int, limit: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + limit
        while received.count < count {
            guard ContinuousClock.now < deadline else { throw ReceiverFailure("\(received.count) of \(count) requests after \(limit)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

public struct ReceiverFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

