import Foundation
import LoopbackHTTP
import Testing

/// Connections: a header that never finishes is closed, a client waiting for a run is not, and
/// an Authorization header with control bytes is an ordinary bad token.
@Suite("serve: connections")
struct ServerConnectionTests {
    @Test func aHalfSentHeaderIsClosedAfterTheIdleTimeout() async throws {
        try await ServerHarness.with(idleTimeout: .seconds(1)) { server in
            let connection = try LoopbackConnection(port: server.port)
            connection.send("POST /api/internal/reconciliation HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            let (data, closed) = connection.readUntilClosed(timeout: .seconds(30))
            #expect(closed, "the server still holds a connection whose headers never finished")
            #expect(data.isEmpty)
            #expect(try server.recordedRuns().isEmpty)
        }
    }

    @Test func aClientWaitingForARunLongerThanTheIdleTimeoutGetsItsAnswer() async throws {
        let gate = Gate()
        try await ServerHarness.with(gate: gate, idleTimeout: .seconds(1)) { server in
            async let answer = server.post(json: #"{"dryRun": true}"#)
            _ = try await server.runInProgress()
            // The run is held at the gate for three idle timeouts: the time passing is the test.
            try await Task.sleep(for: .seconds(3))
            await gate.open()
            let response = try await answer
            #expect(response.status == 200)
            #expect(try response.json()["status"] as? String == "drift")
        }
    }

    @Test(arguments: ["\u{01}", "\u{7F}", "\u{1B}[2J", "\u{00}", "\u{0B}"])
    func controlBytesInTheAuthorizationHeaderAreABadToken(_ control: String) async throws {
        try await ServerHarness.with { server in
            let wrong = try await server.post(token: "not-the-token-0123456789abcdefghijk")
            let connection = try LoopbackConnection(port: server.port)
            connection.send("POST /api/internal/reconciliation HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                + "Content-Length: 0\r\nAuthorization: Bearer \(tokenA.prefix(8))\(control)\(tokenA.dropFirst(8))\r\n\r\n")
            let (data, _) = connection.readUntilClosed(timeout: .seconds(30))
            let text = String(decoding: data, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 401 "), "\(text.prefix(200))")
            #expect(text.hasSuffix(String(decoding: wrong.body, as: UTF8.self)), "the same body as any bad token")
            #expect(try server.recordedRuns().isEmpty)
        }
    }
}
