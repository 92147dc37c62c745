import Foundation
import ReconEngine
import ReconSources
import Testing

struct ChainSnapshotTests {
    let scratch: Scratch
    let query: SourceQuery

    init() throws {
        scratch = try Scratch()
        query = SourceQuery(ruleSet: try fourFieldRuleSet(), batchSize: 100)
    }

    func open(_ json: String) async throws -> any ChainView {
        try await ChainSnapshotFile(path: try scratch.file("chain.json", json)).open(query)
    }

    func error(_ json: String) async -> String? {
        do {
            _ = try await open(json)
            return nil
        } catch {
            return "\(error)".replacingOccurrences(of: scratch.path("chain.json"), with: "chain.json")
        }
    }

    @Test func readsTheDemoSnapshot() async throws {
        let view = try await ChainSnapshotFile(path: demoChainPath).open(query)
        #expect(view.block == 19_000_000)
        let lookups = try await view.records(for: ["stream_3", "stream_4"])
        #expect(lookups == [.record([.integer(5000), .integer(5000), .integer(2), "0x27b1fdb04752bbc536007a920d24acb045561c26"]), .missing])
        let rest = try await view.unvisited(limit: 3)
        #expect(rest.map(\.key) == ["stream_1", "stream_2", "stream_5"])
        #expect(try await view.unvisited(limit: 10).map(\.key) == ["stream_6", "stream_7", "stream_8", "stream_9"])
        #expect(try await view.unvisited(limit: 10).isEmpty)
    }

    @Test func keepsNumbersExactAndFieldsItDoesNotMapOut() async throws {
        let view = try await open("""
            {"blockNumber": 7, "meta": {"x": [1, {"y": null}]}, "records": [
              {"id": 42, "deposited": 340282366920938463463374607431768211455, "withdrawn": 1.5e3, "state": true,
               "recipient": "caf\\u00e9 \\ud83d\\ude00 \\"q\\" \\\\ \\/ \\b\\f\\n\\r\\t", "extra": {"nested": [1, 2]}},
              {"id": "no-fields"}
            ]}
            """)
        let lookups = try await view.records(for: ["42", "no-fields"])
        #expect(lookups == [
            .record([.text("340282366920938463463374607431768211455"), .decimal("1.5e3"), .bool(true), .text("café 😀 \"q\" \\ / \u{8}\u{c}\n\r\t")]),
            .record([.null, .null, .null, .null]),
        ])
    }

    @Test func reportsDuplicateKeysKeepingTheFirst() async throws {
        let view = try await open(snapshotJSON([("a", "1", "0", 1, alice), ("a", "2", "0", 1, alice), ("a", "3", "0", 1, alice)]))
        #expect(view.duplicateKeys.map { "\($0.key)×\($0.count)" } == ["a×3"])
        #expect(try await view.records(for: ["a"]) == [.record(["1", "0", .integer(1), .text(alice)])])
    }

    @Test(arguments: [
        ("", "chain.json:1:1: a chain snapshot is a JSON object with 'blockNumber' and 'records'"),
        ("[]", "chain.json:1:1: a chain snapshot is a JSON object with 'blockNumber' and 'records'"),
        ("{\"blockNumber\": 1}", "chain.json:1:1: the snapshot has no 'records' array"),
        ("{\"blockNumber\": -1, \"records\": []}", "chain.json:1:17: 'blockNumber' must be a whole number from 0 to 9223372036854775807"),
        ("{\"blockNumber\": 18446744073709551615, \"records\": []}",
         "chain.json:1:17: 'blockNumber' must be a whole number from 0 to 9223372036854775807"),
        ("{\"x\": [1, 2}, \"records\": []}", "chain.json:1:12: unexpected '}'"),
        ("{\"records\": [\n  {\"deposited\": \"1\"}\n]}", "chain.json:2:3: record 1 has no 'id'"),
        ("{\"records\": [{\"id\": \"a\"},\n {\"id\": \"\"}]}", "chain.json:2:9: 'id' of record 2 must be a non-empty string or an integer"),
        ("{\"records\": [{\"id\": \"a\", \"deposited\": [1]}]}", "chain.json:1:39: 'deposited' of record 1 must be a string, number, boolean or null"),
        ("{\"records\": [{\"id\": \"a\",}]}", "chain.json:1:25: expected a member name in double quotes"),
        ("{\"records\": [{\"id\": \"a\"} {\"id\": \"b\"}]}", "chain.json:1:26: expected ',' or ']' after record 1"),
        ("{\"records\": [1]}", "chain.json:1:14: record 1 is not a JSON object"),
        ("{\"records\": {}}", "chain.json:1:13: 'records' must be an array of objects"),
        ("{\"records\": []} x", "chain.json:1:17: unexpected character 'x'"),
        ("{\"records\": []} {}", "chain.json:1:17: unexpected content after the snapshot object"),
        ("{\"records\": [{\"id\": 01}]}", "chain.json:1:21: malformed number '01'"),
        ("{\"records\": [{\"id\": \"a\", \"deposited\": tru}]}", "chain.json:1:39: invalid literal; expected true, false or null"),
        ("{\"records\": [{\"id\": \"a\\x\"}]}", "chain.json:1:23: invalid escape '\\x'"),
        ("{\"records\": [{\"id\": \"a\n\"}]}", "chain.json:1:23: control character in string; escape it"),
        ("{\"records\": [{\"id\": \"abc", "chain.json:1:21: unterminated string"),
        ("{\"records\": [{\"id\" \"a\"}]}", "chain.json:1:20: expected ':' after 'id'"),
        ("{\"records\": [{\"id\": \"a\"}", "chain.json:1:25: expected ',' or ']' after record 1"),
        ("{\"meta\": [1, 2", "chain.json:1:15: unexpected end of file"),
        ("{\"records\": [{\"id\": \"\\ud800x\"}]}", "chain.json:1:22: unpaired surrogate in \\u escape"),
        ("{\"records\": []}", "chain.json:1:1: the snapshot has no 'blockNumber'; a snapshot names the block its records were read at"),
        ("{\"blockNumber\": 1, \"note\": 1, \"note\": 2, \"records\": [{\"id\": \"a\"}]}",
         "chain.json:1:31: 'note' appears twice in the snapshot object; give each member once"),
        ("\u{FEFF}{\"blockNumber\": 1, \"records\": [], \"records\": []}",
         "chain.json:1:35: 'records' appears twice in the snapshot object; give each member once"),
        ("{\"blockNumber\": 1, \"records\": [], \"blockNumber\": 1}",
         "chain.json:1:35: 'blockNumber' appears twice in the snapshot object; give each member once"),
        ("{\"blockNumber\": 1, \"records\": [{\"id\": \"a\"}], \"records\": []}",
         "chain.json:1:46: 'records' appears twice in the snapshot object; give each member once"),
        ("{\"blockNumber\": 1, \"records\": [{\"id\": \"a\", \"state\": 1,\n \"state\": 2}]}",
         "chain.json:2:2: record 1 has 'state' twice; which value holds is ambiguous"),
        ("{\"blockNumber\": 1, \"records\": [{\"id\": \"a\"}, {\"id\": \"b\", \"id\": \"c\"}]}",
         "chain.json:1:57: record 2 has 'id' twice; which value holds is ambiguous"),
        ("{\"blockNumber\": 1, \"records\": [{\"id\": \"a\", \"memo\": 1, \"m\\u0065mo\": 1}]}",
         "chain.json:1:55: record 1 has 'memo' twice; which value holds is ambiguous"),
    ])
    func malformedSnapshotsSayWhere(_ json: String, _ expected: String) async {
        let actual = await error(json)
        #expect(actual == expected)
    }

    /// Tokens that straddle a chunk boundary (a string, a number, whitespace, an escape) read
    /// the same at every chunk size: reading 1 byte at a time once crashed mid-string.
    @Test(arguments: [1, 2, 3, 7, 64])
    func chunkBoundariesDoNotMatter(_ chunkSize: Int) async throws {
        let json = #"{"blockNumber": 12345678901, "records": [{"id": "s\u00e9\n1", "deposited": "340282366920938463463374607431768211455", "#
            + #""withdrawn": -12.5e-3, "state": 3, "recipient": "0xabc"},   {"id": 77, "recipient": "\"q\""}]}"#
        let path = try scratch.file("chunks.json", json)
        let reference = try await ChainSnapshotFile(path: path).open(query)
        let chunked = try await ChainSnapshotFile(path: path, chunkSize: chunkSize).open(query)
        #expect(chunked.block == 12_345_678_901 && reference.block == chunked.block)
        let keys = ["s\u{e9}\n1", "77"]
        #expect(try await chunked.records(for: keys) == (try await reference.records(for: keys)))
        #expect(try await ChainSnapshotFile(path: path, chunkSize: chunkSize).open(query).records(for: keys) == [
            .record(["340282366920938463463374607431768211455", .decimal("-12.5e-3"), .integer(3), "0xabc"]),
            .record([.null, .null, .null, "\"q\""]),
        ])
    }

    @Test func errorPositionsAreTheSameAcrossChunks() async {
        let json = "{\"records\": [\n  {\"id\": \"a\"},\n  {\"id\": \"b\", \"deposited\": [1]}\n]}"
        for chunkSize in [1, 5, 1 << 20] {
            let path = scratch.path("bad-\(chunkSize).json")
            try? json.write(toFile: path, atomically: true, encoding: .utf8)
            await #expect(throws: SourceError(.malformed, at: "\(path):3:28", "'deposited' of record 2 must be a string, number, boolean or null")) {
                try await ChainSnapshotFile(path: path, chunkSize: chunkSize).open(query)
            }
        }
    }

    /// Editors on Windows start a file with a byte order mark; rules files accept one, and so
    /// do snapshots, on the fast path (ASCII keys) and the reader's (a non-ASCII key).
    @Test(arguments: ["a", "é"])
    func aByteOrderMarkIsSkipped(_ key: String) async throws {
        let view = try await open("\u{FEFF}{\"blockNumber\": 9, \"records\": [{\"id\": \"\(key)\", \"state\": 2}]}")
        #expect(view.block == 9)
        #expect(try await view.records(for: [key]) == [.record([.null, .null, .integer(2), .null])])
    }

    /// Half a byte order mark is not one: the file does not start with JSON.
    @Test func halfAByteOrderMarkIsRefused() async throws {
        let path = scratch.path("half-bom.json")
        try (Data([0xEF, 0xBB]) + Data(#"{"blockNumber": 1, "records": []}"#.utf8)).write(to: URL(fileURLWithPath: path))
        await #expect(throws: SourceError.self) { try await ChainSnapshotFile(path: path).open(query) }
    }

    @Test func aDirectoryIsNotASnapshot() async {
        await #expect(throws: SourceError(.unreadable, at: scratch.url.path, "is a directory, not a chain snapshot file")) {
            try await ChainSnapshotFile(path: scratch.url.path).open(query)
        }
    }

    @Test func aMissingSnapshot() async {
        await #expect(throws: SourceError(.notFound, at: "/no/chain.json", "chain snapshot not found")) {
            try await ChainSnapshotFile(path: "/no/chain.json").open(query)
        }
    }
}
