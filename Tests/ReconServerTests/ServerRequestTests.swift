import Foundation
import LoopbackHTTP
import Testing

@Suite("serve: request validation")
struct ServerRequestTests {
    @Test func aBodyOver64KiBGets413AndStartsNoRun() async throws {
        try await ServerHarness.with { server in
            let padded = #"{"dryRun":true}"# + String(repeating: " ", count: 64 * 1024 + 1 - 15)
            #expect(padded.utf8.count == 64 * 1024 + 1)
            let response = try await server.post(json: padded)
            #expect(response.status == 413)
            #expect(try response.json()["error"] as? String == "the request body is over 64 KiB")
            #expect(try await server.post(json: String(padded.dropLast())).status == 200, "64 KiB exactly is accepted")
            let huge = try await server.post(json: String(repeating: "x", count: 4 << 20))
            #expect(huge.status == 413)
            // A declared length over the limit is answered at once, without waiting for the body.
            let declared = try await LoopbackHTTP.send(port: server.port, method: "POST", path: "/api/internal/reconciliation",
                                                       headers: [("Authorization", "Bearer \(tokenA)")], body: Data("{}".utf8),
                                                       contentLength: 100_000_000, timeout: 10)
            #expect(declared.status == 413)
            #expect(try server.recordedRuns().isEmpty)
        }
    }

    @Test(arguments: [
        (#"{"dryRun": tru"#, "", "the body is not valid JSON"),
        ("not json", "", "the body is not valid JSON"),
        (#"{"dryRun": true, "force": true}"#, "",
         #"unknown field 'force'; the body accepts only {"dryRun": true|false, "shard": "I/N", "incremental": true|false, "sample": PCT}"#),
        (#"{"incremental": "yes"}"#, "", "incremental must be true or false"),
        (#"{"incremental": true, "sample": "5"}"#, "", "sample must be a number from 0 to 100"),
        (#"{"sample": 5}"#, "", #"sample applies to an incremental run: add "incremental": true"#),
        (#"{"incremental": true, "sample": 150}"#, "", "sample must be a number from 0 to 100, not 150.0"),
        (#"{"dryRun": "yes"}"#, "", "dryRun must be true or false"),
        (#"{"dryRun": 1}"#, "", "dryRun must be true or false"),
        (#"{"dryRun":false,"dryRun":true}"#, "", "dryRun is given more than once in the body"),
        (#"{"dryRun":true,"dryRun":true}"#, "", "dryRun is given more than once in the body"),
        (#"{"dryRun":null, "dry\u0052un" : false}"#, "", "dryRun is given more than once in the body"),
        (#"[true]"#, "", #"the body must be a JSON object, such as {"dryRun": true}"#),
        (#"true"#, "", #"the body must be a JSON object, such as {"dryRun": true}"#),
        ("", "?dryRun=yes", "the dryRun query parameter must be true or false"),
        ("", "?dryRun=true&dryRun=true", "dryRun is given more than once in the query"),
        ("", "?verbose=1", "unknown query parameter 'verbose'; only dryRun is accepted"),
        (#"{"dryRun": false}"#, "?dryRun=true", "dryRun is false in the body but true in the query"),
    ])
    func aMalformedRequestGets400WithAOneLineReason(body: String, query: String, reason: String) async throws {
        try await ServerHarness.with { server in
            let response = try await server.post(json: body, query: query)
            #expect(response.status == 400)
            let error = try #require(try response.json()["error"] as? String)
            #expect(error == reason)
            #expect(!error.contains("\n"))
            #expect(try server.recordedRuns().isEmpty)
        }
    }

    @Test func anotherMethodOnARouteIs405WithAllow() async throws {
        try await ServerHarness.with { server in
            let auth = [("Authorization", "Bearer \(tokenA)")]
            let get = try await LoopbackHTTP.send(port: server.port, path: "/api/internal/reconciliation", headers: auth)
            #expect(get.status == 405)
            #expect(get.header("allow") == "POST")
            #expect(try get.json()["error"] as? String == "this route takes POST only")
            let delete = try await LoopbackHTTP.send(port: server.port, method: "DELETE", path: "/api/internal/reconciliation/runs/latest", headers: auth)
            #expect(delete.status == 405)
            #expect(delete.header("allow") == "GET")
            // Still behind auth: without a token it is the same 401 as everywhere.
            let anonymous = try await LoopbackHTTP.send(port: server.port, path: "/api/internal/reconciliation")
            #expect(anonymous.status == 401)
            #expect(try server.recordedRuns().isEmpty)
        }
    }

    @Test func anUnknownRouteIs404() async throws {
        try await ServerHarness.with { server in
            let unknownRun = try await server.get("/api/internal/reconciliation/runs/first")
            let unknown = try await server.get("/nothing", token: nil)
            #expect([unknownRun.status, unknown.status] == [404, 404] as [Int])
        }
    }

    @Test func theLatestRunIsUnavailableWhenTheDatabaseIsGone() async throws {
        try await ServerHarness.with { server in
            try FileManager.default.removeItem(atPath: server.dbPath)
            let latest = try await server.get("/api/internal/reconciliation/runs/latest")
            #expect(latest.status == 503)
            #expect((try latest.json()["error"] as? String)?.hasPrefix("cannot read the run records: ") == true)
            let run = try await server.post()
            #expect(run.status == 503)
            #expect((try run.json()["error"] as? String)?.contains(server.dbPath) == true)
        }
    }
}
