import Foundation

/// A deliberately plain HTTP/1.1 client over a POSIX socket on 127.0.0.1: it sends exactly the
/// bytes a test writes (duplicate headers, odd bodies), one request per connection. Blocking
/// calls run on their own thread, never on the concurrency pool the server shares.
public enum LoopbackHTTP {
    public struct Response {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: Data
        public var text: String { String(decoding: body, as: UTF8.self) }

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        public func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                throw Failure("not a JSON object: \(text)")
            }
            return object
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// Sends one request; `headers` are written as given, after Host, Connection and Content-Length.
    /// `contentLength` declares a length other than the body's (to test a server's limits).
    public static func send(port: Int, method: String = "GET", path: String, headers: [(String, String)] = [], body: Data = Data(),
                            contentLength: Int? = nil, timeout: Int = 60) async throws -> Response {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if method != "GET" || !body.isEmpty { head += "Content-Length: \(contentLength ?? body.count)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let request = Data((head + "\r\n").utf8) + body
        let raw: Data = try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try exchange(port: port, request: request, timeout: timeout) })
            }
        }
        return try parse(raw)
    }

    public static func post(port: Int, path: String = "/api/internal/reconciliation", token: String?, json: String = "") async throws -> Response {
        try await send(port: port, method: "POST", path: path,
                       headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [], body: Data(json.utf8))
    }

    /// A TCP socket connected to 127.0.0.1:`port`; `configure` sets its options before it connects.
    static func connectedSocket(port: Int, configure: (Int32) -> Void = { _ in }) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: \(errno)") }
        configure(fd)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw Failure("connect to 127.0.0.1:\(port): errno \(errno)")
        }
        return fd
    }

    /// Writes all of `bytes`, or as much as the peer takes before it closes.
    static func sendAll(_ fd: Int32, _ bytes: Data) {
        bytes.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if n <= 0 { return }
                sent += n
            }
        }
    }

    private static func exchange(port: Int, request: Data, timeout: Int) throws -> Data {
        let fd = try connectedSocket(port: port) { fd in
            var time = timeval(tv_sec: timeout, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        }
        defer { close(fd) }
        // The server may answer (413) and close before the whole body is sent: stop writing then.
        sendAll(fd, request)
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { received.append(contentsOf: buffer[0..<n]); continue }
            if n == 0 || errno == ECONNRESET { break }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw Failure("no answer within \(timeout) s") }
            throw Failure("recv: errno \(errno)")
        }
        return received
    }

    private static func parse(_ raw: Data) throws -> Response {
        guard let split = raw.firstRange(of: Data("\r\n\r\n".utf8)) else { throw Failure("no complete response: \(String(decoding: raw, as: UTF8.self))") }
        let lines = String(decoding: raw[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure("bad status line: \(lines[0])") }
        let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var body = Data(raw[split.upperBound...])
        if headers.contains(where: { $0.name.lowercased() == "transfer-encoding" && $0.value.lowercased() == "chunked" }) {
            body = try dechunk(body)
        }
        return Response(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ data: Data) throws -> Data {
        var out = Data(), rest = data[...]
        while let lineEnd = rest.firstRange(of: Data("\r\n".utf8)) {
            guard let size = Int(String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self), radix: 16) else { throw Failure("bad chunk") }
            if size == 0 { break }
            out += rest[lineEnd.upperBound..<(lineEnd.upperBound + size)]
            rest = rest[(lineEnd.upperBound + size + 2)...]
        }
        return out
    }
}

/// One raw connection to a loopback port, for tests that send a request in pieces or read the
/// answer late: bytes in, bytes out, and whether the server has closed it.
public final class LoopbackConnection {
    private let fd: Int32

    /// `receiveBuffer` shrinks the socket's receive buffer, so that a large answer stays in
    /// flight until it is read.
    public init(port: Int, receiveBuffer: Int? = nil) throws {
        fd = try LoopbackHTTP.connectedSocket(port: port) { fd in
            if var size = receiveBuffer.map(Int32.init) {
                setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            }
        }
    }

    deinit { close(fd) }

    /// Writes all of `bytes` (or as much as the server takes before it closes).
    public func send(_ bytes: Data) { LoopbackHTTP.sendAll(fd, bytes) }

    public func send(_ text: String) { send(Data(text.utf8)) }

    /// Reads until the server closes the connection or `timeout` passes with nothing to read;
    /// returns what arrived and whether the server closed it.
    public func readUntilClosed(timeout: Duration) -> (data: Data, closed: Bool) {
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        while true {
            guard poll(&descriptor, 1, milliseconds) > 0 else { return (received, false) }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { received.append(contentsOf: buffer[0..<n]); continue }
            return (received, true)
        }
    }
}
