import Foundation
import ReconEngine

/// The chain as a snapshot file (docs/operations.md, "Running it"): `{ "blockNumber": N, "records": [ { ... } ] }`.
/// `blockNumber` is required, a member named twice (in the document or in a record) is an
/// error naming it, and a UTF-8 byte order mark is skipped.
/// Streamed through `JSONTokenizer`; only the key and the mapped fields of each record are kept.
public struct ChainSnapshotFile: ChainSource {
    public let path: String
    /// How much of the file is read at a time.
    public let chunkSize: Int

    public init(path: String, chunkSize: Int = 1 << 20) {
        self.path = path
        self.chunkSize = max(1, chunkSize)
    }

    public var displayName: String { path }

    public func open(_ query: SourceQuery) async throws(SourceError) -> any ChainView {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let type = attributes?[.type] as? FileAttributeType, type != .typeRegular {
            throw SourceError(.unreadable, at: path, type == .typeDirectory ? "is a directory, not a chain snapshot file" : "is not a regular file")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw SourceError(exists ? .unreadable : .notFound, at: path, exists ? "cannot open the chain snapshot" : "chain snapshot not found")
        }
        defer { try? handle.close() }
        if let layout = SnapshotScanner.Layout(keyField: query.keyField, fields: query.fields),
           let snapshot = SnapshotFastPath.read(path: path, layout: layout) {
            return SnapshotView(block: snapshot.block, arena: snapshot.arena, index: snapshot.index, fieldCount: query.fields.count,
                                duplicates: snapshot.duplicates, shard: query.shard)
        }
        var reader = SnapshotReader(tokens: JSONTokenizer(handle: handle, chunkSize: chunkSize), query: query)
        // The packed records are smaller than their JSON, and a record takes 100 bytes or more:
        // reserving both saves copying and rehashing as they grow (unused reserve is never touched).
        let size = min((attributes?[.size] as? NSNumber)?.intValue ?? 0, 1 << 34)
        reader.arena.reserveCapacity(size)
        reader.index = KeyIndex(expectedCount: size / 100)
        do {
            try reader.read()
        } catch {
            throw SourceError(.malformed, at: "\(path):\(error.line):\(error.column)", error.message)
        }
        return SnapshotView(block: reader.block, arena: reader.arena, index: reader.index, fieldCount: query.fields.count,
                            duplicates: reader.duplicates, originalKeys: reader.originalKeys, shard: query.shard)
    }
}

/// Parses the snapshot document, keeping what the rule set maps.
struct SnapshotReader {
    var tokens: JSONTokenizer
    let keyField: String
    /// The on-chain field names the rules map, each with the slots it fills.
    let names: [(name: String, slots: [Int])]
    var block: UInt64?
    var arena = RecordArena()
    var index = KeyIndex(expectedCount: 0)
    var duplicates: [String: Int] = [:]
    /// Keys as written, by record offset, where they differ from the NFC form the arena holds.
    var originalKeys: [Int: String] = [:]
    /// One record's values, reused from record to record.
    private var values: [RawValue]
    /// The member names of the record being read, to find one named twice.
    private var memberNames: Set<String> = []

    init(tokens: JSONTokenizer, query: SourceQuery) {
        self.tokens = tokens
        keyField = query.keyField
        var names: [(String, [Int])] = []
        for (slot, field) in query.fields.enumerated() {
            if let index = names.firstIndex(where: { $0.0 == field }) { names[index].1.append(slot) } else { names.append((field, [slot])) }
        }
        self.names = names
        values = Array(repeating: .null, count: query.fields.count)
    }

    mutating func read() throws(JSONTokenizer.Failure) {
        try tokens.skipByteOrderMark()
        guard try tokens.next() == .beginObject else { throw tokens.fail("a chain snapshot is a JSON object with 'blockNumber' and 'records'") }
        var sawRecords = false
        try members { reader, name throws(JSONTokenizer.Failure) in
            switch name {
            case "blockNumber":
                let position = try reader.tokens.peek()
                guard case .number(let text) = try reader.tokens.next(), let number = UInt64(text), number <= UInt64(Int64.max) else {
                    throw JSONTokenizer.Failure(message: "'blockNumber' must be a whole number from 0 to \(Int64.max)",
                                                line: position.line, column: position.column)
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
        guard block != nil else {
            throw JSONTokenizer.Failure(message: "the snapshot has no 'blockNumber'; a snapshot names the block its records were read at",
                                        line: 1, column: 1)
        }
    }

    /// Calls `body` for each member name of the object whose `{` was just read; `body` reads the value.
    private mutating func members(_ body: (inout Self, String) throws(JSONTokenizer.Failure) -> Void) throws(JSONTokenizer.Failure) {
        if try tokens.peek().token == .endObject {
            _ = try tokens.next()
            return
        }
        var seen: Set<String> = []
        while true {
            let position = try tokens.peek()
            guard case .string(let name) = try tokens.next() else { throw tokens.fail("expected a member name in double quotes") }
            guard seen.insert(name).inserted else {
                throw JSONTokenizer.Failure(message: "'\(name)' appears twice in the snapshot object; give each member once",
                                            line: position.line, column: position.column)
            }
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
        for slot in values.indices { values[slot] = .null }
        var empty = try tokens.peek().token == .endObject
        if empty { _ = try tokens.next() }
        memberNames.removeAll(keepingCapacity: true)
        members: while !empty {
            let position = try tokens.peek()
            guard case .string(let name) = try tokens.next() else { throw tokens.fail("expected a member name in double quotes") }
            guard memberNames.insert(name).inserted else {
                throw JSONTokenizer.Failure(message: "record \(number) has '\(name)' twice; which value holds is ambiguous",
                                            line: position.line, column: position.column)
            }
            guard try tokens.next() == .colon else { throw tokens.fail("expected ':' after '\(name)'") }
            let isKey = name == keyField
            let mapped = names.firstIndex { $0.name == name }
            if isKey || mapped != nil {
                let value = try readScalar(name, number)
                if isKey { key = value.text }
                for slot in mapped.map({ names[$0].slots }) ?? [] { values[slot] = value.raw }
            } else {
                try skipValue()
            }
            switch try tokens.next() {
            case .comma: continue members
            case .endObject: empty = true
            default: throw tokens.fail("expected ',' or '}'")
            }
        }
        guard let key else {
            throw JSONTokenizer.Failure(message: "record \(number) has no '\(keyField)'", line: start.line, column: start.column)
        }
        let offset = KeyIndex.withNFC(key) { arena.appendKey($0) }
        arena.append(values)
        let isNew = arena.withKey(at: offset) { bytes in index.insert(bytes, hash: index.hash(bytes), offset: offset, in: arena) == nil }
        if !isNew {
            duplicates[key, default: 1] += 1
        } else if arena.key(at: offset).utf8.elementsEqual(key.utf8) == false {
            originalKeys[offset] = key
        }
    }

    /// A member's scalar value; `text` is its text when it can be a key.
    private mutating func readScalar(_ name: String, _ number: Int) throws(JSONTokenizer.Failure) -> (raw: RawValue, text: String?) {
        let position = try tokens.peek()
        let value: RawValue
        switch try tokens.next() {
        case .string(let text): value = .text(text)
        case .number(let text): value = Self.number(text)
        case .bool(let flag): value = .bool(flag)
        case .null: value = .null
        default:
            throw JSONTokenizer.Failure(message: "'\(name)' of record \(number) must be a string, number, boolean or null",
                                        line: position.line, column: position.column)
        }
        guard name == keyField else { return (value, nil) }
        guard case let text? = value.displayText, value != .null, !text.isEmpty, value != .bool(true), value != .bool(false) else {
            throw JSONTokenizer.Failure(message: "'\(name)' of record \(number) must be a non-empty string or an integer",
                                        line: position.line, column: position.column)
        }
        return (value, text)
    }

    /// A JSON number as a raw value: Int64 when it fits, exact digits when larger, text otherwise.
    static func number(_ text: String) -> RawValue {
        if let integer = Int64(text) { return .integer(integer) }
        if !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .text(text) }
        return .decimal(text)
    }

    /// Skips one value of any shape, checking that its brackets match.
    private mutating func skipValue() throws(JSONTokenizer.Failure) {
        var open: [JSONTokenizer.Token] = []
        repeat {
            switch try tokens.next() {
            case .beginObject: open.append(.endObject)
            case .beginArray: open.append(.endArray)
            case let close where close == .endObject || close == .endArray:
                guard open.popLast() == close else { throw tokens.fail("unexpected '\(close == .endObject ? "}" : "]")'") }
            case .end: throw tokens.fail("unexpected end of file")
            default: break
            }
        } while !open.isEmpty
    }
}
