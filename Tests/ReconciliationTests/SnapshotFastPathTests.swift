import Foundation
import ReconEngine
@testable import ReconSources
import Testing

/// The fast path reads what `SnapshotReader` reads, the same way, or declines (nil).
struct SnapshotFastPathTests {
    let scratch: Scratch
    let query: SourceQuery

    init() throws {
        scratch = try Scratch()
        query = SourceQuery(ruleSet: try fourFieldRuleSet(), batchSize: 100)
    }

    /// Every record's key and values, the block and the duplicates, as one comparable text.
    func summary(_ view: SnapshotView) async throws -> String {
        let records = try await view.unvisited(limit: .max).map { "\($0.key)=\($0.values)" }
        let duplicates = view.duplicateKeys.map { "\($0.key)×\($0.count)" }
        return "block \(view.block.map(String.init) ?? "nil"); duplicates \(duplicates); \(records.joined(separator: "; "))"
    }

    func fast(_ json: String, splitAbove: Int = 4 << 20, window: Int = 1 << 20) async throws -> String? {
        let path = try scratch.file("chain.json", json)
        let layout = try #require(SnapshotScanner.Layout(keyField: query.keyField, fields: query.fields))
        guard let snapshot = SnapshotFastPath.read(path: path, layout: layout, splitAbove: splitAbove, window: window) else { return nil }
        return try await summary(SnapshotView(block: snapshot.block, arena: snapshot.arena, index: snapshot.index, fieldCount: query.fields.count,
                                              duplicates: snapshot.duplicates))
    }

    func slow(_ json: String) async throws -> String {
        let path = try scratch.file("chain.json", json)
        let handle = try #require(FileHandle(forReadingAtPath: path))
        defer { try? handle.close() }
        var reader = SnapshotReader(tokens: JSONTokenizer(handle: handle), query: query)
        try reader.read()
        return try await summary(SnapshotView(block: reader.block, arena: reader.arena, index: reader.index, fieldCount: query.fields.count,
                                              duplicates: reader.duplicates, originalKeys: reader.originalKeys))
    }

    @Test(arguments: [
        #"{"blockNumber": 7, "records": []}"#,
        #"{"records": [{"id": "a"}], "blockNumber": 0}"#,
        #"{ "meta": {"x": [1, {"y": null}], "z": "w"}, "blockNumber": 1, "records": [ { "id": 42, "deposited": 340282366920938463463374607431768211455 } ] }"#,
        #"{"blockNumber": 1, "records": [{"id": "a", "deposited": -9223372036854775808, "withdrawn": 9223372036854775807, "state": -0, "recipient": true}]}"#,
        #"{"blockNumber": 1, "records": [{"id": "a", "deposited": 9223372036854775808, "withdrawn": -1.5e3, "state": 1E2, "recipient": false}]}"#,
        #"{"blockNumber": 1, "records": [{"id": "a", "deposited": null, "extra": [[], {}], "recipient": "café"}, {"id": "c", "state": 2}]}"#,
        #"{"blockNumber": 1, "records": [{"id": "a", "deposited": "1"}, {"id": "a", "deposited": "2"}, {"id": "b"}, {"id": "a"}]}"#,
        "{\"records\":\n\t[\r\n{\"id\":\"a\"}\n]\n, \"blockNumber\": 2}\n",
        "\u{FEFF}{\"blockNumber\": 3, \"records\": [{\"id\": \"a\", \"state\": 1}]}",
    ])
    func readsWhatTheReaderReads(_ json: String) async throws {
        // Windows as small as 64 bytes: every token and value can straddle two reads.
        for window in [64, 65, 100, 1 << 20] {
            #expect(try await fast(json, window: window) == (try await slow(json)), "window \(window)")
        }
    }

    @Test(arguments: [
        "",
        "{}",
        #"{"records": [{"id": "a\u0062"}]}"#,
        #"{"records": [{"id": "é"}]}"#,
        #"{"records": [{"id": 1.5}]}"#,
        #"{"records": [{"id": "a"}], "records": []}"#,
        #"{"records": [{"id": "a", "deposited": [1]}]}"#,
        #"{"records": [{"id": "a"} {"id": "b"}]}"#,
        #"{"records": [{"id": 01}]}"#,
        #"{"blockNumber": -1, "records": []}"#,
        #"{"records": [{"id": "a"}]}"#,
        #"{"blockNumber": 1, "blockNumber": 1, "records": []}"#,
        #"{"blockNumber": 1, "note": 1, "note": 2, "records": [{"id": "a"}]}"#,
        // More members than the fast path compares pairwise: the reader checks them.
        #"{"blockNumber": 1, "records": [{"id": "a", "# + (0..<40).map { #""m\#($0)": 1"# }.joined(separator: ", ") + "}]}",
        #"{"blockNumber": 1, "records": [{"id": "a", "state": 1, "state": 2}]}"#,
        #"{"blockNumber": 1, "records": [{"id": "b", "id": "c"}]}"#,
        #"{"blockNumber": 1, "records": [{"id": "b", "memo": 1, "memo": 1}]}"#,
        #"{"records": []} x"#,
    ])
    func declinesWhatItDoesNotHandle(_ json: String) async throws {
        #expect(try await fast(json) == nil)
        #expect(try await fast(json, window: 64) == nil)
    }

    /// Split in two at every size, with duplicates across the halves and a candidate boundary
    /// (`}, {`) inside a string and inside a nested object: the first record still counts.
    @Test(arguments: [0, 10, 100, 300, 1000])
    func splittingTheRecordsChangesNothing(_ splitAbove: Int) async throws {
        var records: [String] = []
        for index in 0..<40 {
            records.append(#"{"id": "s\#(index % 30)", "deposited": "\#(index)", "withdrawn": \#(index), "state": 1, "recipient": "x}, {y"}"#)
            records.append(#"{"id": "n\#(index)", "extra": {"a": {"b": 1}, "c": [{"d": 2}, {"e": 3}]}, "state": \#(index)}"#)
        }
        let json = #"{"blockNumber": 5, "records": ["# + records.joined(separator: ",\n ") + "]}"
        let fast = try await fast(json, splitAbove: splitAbove)
        #expect(fast == (try await slow(json)))
        #expect(try await self.fast(json, splitAbove: splitAbove, window: 64) == fast)
        #expect(fast?.contains("duplicates [\"s0×2\"") == true)
    }

    /// Plain records split in two (the second half parsed on its own thread) read the same,
    /// a key in both halves keeping the record of the first.
    @Test(arguments: [0, 100, 1000, 100_000])
    func theSecondHalfIsParsedOnItsOwn(_ splitAbove: Int) async throws {
        let records = (0..<60).map { #"{"id": "s\#($0 % 40)", "deposited": "\#($0)", "state": 1}"# }
        let json = #"{"blockNumber": 5, "records": ["# + records.joined(separator: ", ") + "]}"
        #expect(try await fast(json, splitAbove: splitAbove) == (try await slow(json)))
        #expect(try await fast(json, splitAbove: splitAbove, window: 64) == (try await slow(json)))
        let layout = try #require(SnapshotScanner.Layout(keyField: query.keyField, fields: query.fields))
        let parts = SnapshotFastPath.read(path: scratch.path("chain.json"), layout: layout, splitAbove: splitAbove)?.parts
        #expect(parts == (splitAbove < json.utf8.count / 2 ? 2 : 1))
        #expect(try await fast(json, splitAbove: splitAbove)?.contains(#"s0=[ReconEngine.RawValue.text("0")"#) == true)
    }

    /// Keys match as `String`s match, in canonical equivalence: a decomposed `é` on chain is the
    /// precomposed one in the DB, twice on chain is a duplicate, and reports show it as written.
    @Test func keysMatchAsStringsDo() async throws {
        let decomposed = "cafe\u{301}", precomposed = "caf\u{e9}"
        let path = try scratch.file("chain.json", #"{"blockNumber": 1, "records": [{"id": "cafe\u0301", "state": 1}, {"id": "caf\u00e9", "state": 2}, {"id": "K"}]}"#)
        let view = try await ChainSnapshotFile(path: path).open(query)
        #expect(view.duplicateKeys.map(\.count) == [2])
        #expect(try await view.records(for: [precomposed, "\u{212A}"]) == [.record([.null, .null, .integer(1), .null]), .record([.null, .null, .null, .null])])
        #expect(try await view.records(for: [decomposed, "x", "x"]) == [.alreadySeen, .missing, .alreadySeen])
        let again = try await ChainSnapshotFile(path: path).open(query)
        #expect(try await again.unvisited(limit: 10).map(\.key).map { Array($0.unicodeScalars) } == [Array("K".unicodeScalars), Array(decomposed.unicodeScalars)])
    }
}
