import Foundation
import ReconEngine
import Synchronization

/// The chain as a snapshot file (SPEC §4): `{ "blockNumber": N, "records": [ { ... } ] }`.
/// Streamed through `JSONTokenizer`; only the key and the mapped fields of each record are kept.
public struct ChainSnapshotFile: ChainSource {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public var displayName: String { path }

    public func open(_ query: SourceQuery) async throws(SourceError) -> any ChainView {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw SourceError(exists ? .unreadable : .notFound, at: path, exists ? "cannot open the chain snapshot" : "chain snapshot not found")
        }
        defer { try? handle.close() }
        var reader = SnapshotReader(tokens: JSONTokenizer(handle: handle), query: query)
        do {
            try reader.read()
        } catch {
            throw SourceError(.malformed, at: "\(path):\(error.line):\(error.column)", error.message)
        }
        return SnapshotView(block: reader.block, records: reader.records, duplicates: reader.duplicates)
    }
}

/// Parses the snapshot document, keeping what the rule set maps.
struct SnapshotReader {
    var tokens: JSONTokenizer
    let keyField: String
    /// For each on-chain field name, the slots it fills.
    let slots: [String: [Int]]
    let fieldCount: Int
    var block: UInt64?
    var records: [String: [RawValue]] = [:]
    var duplicates: [String: Int] = [:]

    init(tokens: JSONTokenizer, query: SourceQuery) {
        self.tokens = tokens
        keyField = query.keyField
        fieldCount = query.fields.count
        slots = Dictionary(grouping: query.fields.indices, by: { query.fields[$0] })
    }

    mutating func read() throws(JSONTokenizer.Failure) {
        guard try tokens.next() == .beginObject else { throw tokens.fail("a chain snapshot is a JSON object with 'blockNumber' and 'records'") }
        var sawRecords = false
        try members { reader, name throws(JSONTokenizer.Failure) in
            switch name {
            case "blockNumber":
                let position = try reader.tokens.peek()
                guard case .number(let text) = try reader.tokens.next(), let number = UInt64(text) else {
                    throw JSONTokenizer.Failure(message: "'blockNumber' must be a non-negative integer", line: position.line, column: position.column)
                }
                reader.block = number
            case "records":
                sawRecords = true
                try reader.readRecords()
            default:
                try reader.skipValue()
            }
        }
        guard try tokens.next() == .end else { throw tokens.fail("unexpected content after the snapshot object") }
        guard sawRecords else { throw JSONTokenizer.Failure(message: "the snapshot has no 'records' array", line: 1, column: 1) }
    }

    /// Calls `body` for each member name of the object whose `{` was just read; `body` reads the value.
    private mutating func members(_ body: (inout Self, String) throws(JSONTokenizer.Failure) -> Void) throws(JSONTokenizer.Failure) {
        if try tokens.peek().token == .endObject {
            _ = try tokens.next()
            return
        }
        while true {
            guard case .string(let name) = try tokens.next() else { throw tokens.fail("expected a member name in double quotes") }
            guard try tokens.next() == .colon else { throw tokens.fail("expected ':' after '\(name)'") }
            try body(&self, name)
            switch try tokens.next() {
            case .comma: continue
            case .endObject: return
            default: throw tokens.fail("expected ',' or '}'")
            }
        }
    }

    private mutating func readRecords() throws(JSONTokenizer.Failure) {
        guard try tokens.next() == .beginArray else { throw tokens.fail("'records' must be an array of objects") }
        if try tokens.peek().token == .endArray {
            _ = try tokens.next()
            return
        }
        var number = 0
        while true {
            number += 1
            try readRecord(number)
            switch try tokens.next() {
            case .comma: continue
            case .endArray: return
            default: throw tokens.fail("expected ',' or ']' after record \(number)")
            }
        }
    }

    private mutating func readRecord(_ number: Int) throws(JSONTokenizer.Failure) {
        let start = try tokens.peek()
        guard try tokens.next() == .beginObject else { throw tokens.fail("record \(number) is not a JSON object") }
        var key: String?
        var values = [RawValue](repeating: .null, count: fieldCount)
        let (keyField, slots) = (keyField, slots)
        try members { reader, name throws(JSONTokenizer.Failure) in
            let isKey = name == keyField
            guard isKey || slots[name] != nil else { return try reader.skipValue() }
            let position = try reader.tokens.peek()
            let value: RawValue
            switch try reader.tokens.next() {
            case .string(let text): value = .text(text)
            case .number(let text): value = Self.number(text)
            case .bool(let flag): value = .bool(flag)
            case .null: value = .null
            default:
                throw JSONTokenizer.Failure(message: "'\(name)' of record \(number) must be a string, number, boolean or null",
                                            line: position.line, column: position.column)
            }
            if isKey {
                guard case let text? = value.displayText, value != .null, !text.isEmpty else {
                    throw JSONTokenizer.Failure(message: "'\(name)' of record \(number) must be a non-empty string or an integer",
                                                line: position.line, column: position.column)
                }
                key = text
            }
            for slot in slots[name] ?? [] { values[slot] = value }
        }
        guard let key else {
            throw JSONTokenizer.Failure(message: "record \(number) has no '\(keyField)'", line: start.line, column: start.column)
        }
        if records[key] == nil {
            records[key] = values
        } else {
            duplicates[key, default: 1] += 1
        }
    }

    /// A JSON number as a raw value: Int64 when it fits, exact digits when larger, text otherwise.
    static func number(_ text: String) -> RawValue {
        if let integer = Int64(text) { return .integer(integer) }
        if !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .text(text) }
        return .decimal(text)
    }

    private mutating func skipValue() throws(JSONTokenizer.Failure) {
        var depth = 0
        repeat {
            switch try tokens.next() {
            case .beginObject, .beginArray: depth += 1
            case .endObject, .endArray: depth -= 1
            case .end: throw tokens.fail("unexpected end of file")
            default: break
            }
        } while depth > 0
    }
}

/// A snapshot held in memory; lookups take records out, so what is left is on chain only.
final class SnapshotView: ChainView {
    let block: UInt64?
    let duplicateKeys: [(key: String, count: Int)]
    private let state: Mutex<(records: [String: [RawValue]], unvisitedOrder: [String]?, position: Int)>

    init(block: UInt64?, records: [String: [RawValue]], duplicates: [String: Int]) {
        self.block = block
        duplicateKeys = duplicates.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        state = Mutex((records, nil, 0))
    }

    func records(for keys: [String]) async throws(SourceError) -> [ChainLookup] {
        state.withLock { state in
            keys.map { key in state.records.removeValue(forKey: key).map(ChainLookup.record) ?? .missing }
        }
    }

    func unvisited(limit: Int) async throws(SourceError) -> [SourceRecord] {
        state.withLock { state in
            if state.unvisitedOrder == nil { state.unvisitedOrder = state.records.keys.sorted() }
            let order = state.unvisitedOrder!
            let end = min(order.count, state.position + limit)
            defer { state.position = end }
            return order[state.position..<end].map { SourceRecord(key: $0, values: state.records[$0]!) }
        }
    }
}
