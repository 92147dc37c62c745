import Foundation
import LoopbackHTTP
import Testing

@Suite("serve: service auth")
struct ServerAuthTests {
    static let refused: [(name: String, headers: [(String, String)])] = [
        ("missing", []),
        ("wrong token", [("Authorization", "Bearer token-wrong-0123456789abcdef")]),
        ("a prefix of the token", [("Authorization", "Bearer \(tokenA.dropLast())")]),
        ("the token with more after it", [("Authorization", "Bearer \(tokenA)x")]),
        ("no scheme", [("Authorization", tokenA)]),
        ("Basic scheme", [("Authorization", "Basic \(Data("user:\(tokenA)".utf8).base64EncodedString())")]),
        ("scheme only", [("Authorization", "Bearer")]),
        ("two parts after the scheme", [("Authorization", "Bearer \(tokenA) \(tokenA)")]),
        ("empty header", [("Authorization", "")]),
        ("two Authorization headers", [("Authorization", "Bearer \(tokenA)"), ("Authorization", "Bearer \(tokenA)")]),
    ]

    @Test func everyRefusedCredentialGetsTheSame401() async throws {
        try await ServerHarness.with { server in
            var bodies: Set<Data> = []
            for path in ["/api/internal/reconciliation", "/api/internal/reconciliation/runs/latest"] {
                for (name, headers) in Self.refused {
                    let response = try await LoopbackHTTP.send(port: server.port, method: path.hasSuffix("latest") ? "GET" : "POST",
                                                               path: path, headers: headers, body: Data(#"{"dryRun":true}"#.utf8))
                    #expect(response.status == 401, "\(name) on \(path)")
                    #expect(response.header("www-authenticate") == "Bearer", "\(name)")
                    bodies.insert(response.body)
                }
            }
            #expect(bodies == [Data(#"{"error":"unauthorized"}"#.utf8)])
            #expect(try server.recordedRuns().isEmpty)
        }
    }

    @Test func theSchemeIsCaseInsensitive() async throws {
        try await ServerHarness.with { server in
            let response = try await LoopbackHTTP.send(port: server.port, method: "POST", path: "/api/internal/reconciliation",
                                                       headers: [("Authorization", "bearer \(tokenA)")], body: Data(#"{"dryRun":true}"#.utf8))
            #expect(response.status == 200)
        }
    }

    @Test func bothTokensOfARotationAreAccepted() async throws {
        try await ServerHarness.with(tokens: [tokenA, tokenB]) { server in
            let dryRun = #"{"dryRun":true}"#
            let first = try await server.post(token: tokenA, json: dryRun)
            let second = try await server.post(token: tokenB, json: dryRun)
            let latest = try await server.get("/api/internal/reconciliation/runs/latest", token: tokenB)
            let other = try await server.post(token: "token-charlie-000000000000", json: dryRun)
            #expect([first.status, second.status, latest.status, other.status] == [200, 200, 404, 401] as [Int])
        }
    }

    @Test(arguments: ["?access_token=\(tokenA)", "?token=\(tokenA)", "?dryRun=true&api_key=x", "?dryRun=\(tokenA)", "?x=\(tokenA)",
                      "?\(tokenA)", "?\(tokenA)=1"])
    func aTokenInTheQueryStringIsRefusedEvenWithAGoodHeader(query: String) async throws {
        try await ServerHarness.with { server in
            let response = try await server.post(json: "", query: query)
            #expect(response.status == 400)
            #expect(try response.json()["error"] as? String == "credentials are accepted only in the Authorization header, never in the URL")
            let latest = try await server.get("/api/internal/reconciliation/runs/latest" + query)
            #expect(latest.status == 400)
            #expect(try server.recordedRuns().isEmpty)
            #expect(!server.logs.text.contains(tokenA))
        }
    }

    @Test func noTokenEverAppearsInALogLineOrAResponse() async throws {
        try await ServerHarness.with(tokens: [tokenA, tokenB]) { server in
            var responses: [LoopbackHTTP.Response] = []
            responses.append(try await server.post(token: tokenA))
            responses.append(try await server.post(token: tokenB, json: #"{"dryRun":true}"#))
            responses.append(try await server.get("/api/internal/reconciliation/runs/latest", token: tokenB))
            responses.append(try await server.post(token: String(tokenA.dropLast())))
            responses.append(try await server.post(token: tokenA, json: "", query: "?access_token=\(tokenB)"))
            responses.append(try await server.post(token: tokenA, json: #"{"token":"\#(tokenA)"}"#))
            responses.append(try await server.get("/metrics", token: tokenA))
            #expect(responses.map(\.status) == [200, 200, 200, 401, 400, 400, 200] as [Int])
            let logs = server.logs.text
            #expect(!logs.isEmpty)
            for token in [tokenA, tokenB, String(tokenA.dropLast())] {
                #expect(!logs.contains(token))
                for response in responses {
                    #expect(!response.text.contains(token))
                    #expect(!response.headers.contains { $0.value.contains(token) })
                }
            }
        }
    }
}
