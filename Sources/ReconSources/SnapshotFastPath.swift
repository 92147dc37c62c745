import Foundation
import Synchronization

/// Reads a chain snapshot with `SnapshotScanner` over windows of the file. A large records
/// array is split in two at a record boundary and the halves are parsed on two threads. Returns
/// nil whenever the scanner bails, and the caller falls back to `SnapshotReader`.
enum SnapshotFastPath {
    struct Snapshot {
        var block: UInt64?
        var arena: RecordArena
        var index: KeyIndex
        var duplicates: [String: Int]
        /// 2 when the second half of the records was parsed on its own thread.
        var parts = 1
    }

    /// Reads the file at `path`; `splitAbove` is the size of records array worth a second thread.
    static func read(path: String, layout: SnapshotScanner.Layout, splitAbove: Int = 4 << 20, window: Int = 1 << 20) -> Snapshot? {
        let descriptor = Foundation.open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_size > 0,
              let cursor = WindowedScanner(descriptor: descriptor, at: 0, layout: layout, window: window)
        else { return nil }
        var reader = Reader(cursor: cursor, size: Int(status.st_size), splitAbove: splitAbove, descriptor: descriptor)
        defer { reader.second?.finish(cancel: true) }
        do {
            return try reader.read()
        } catch {
            return nil
        }
    }

    private struct Reader {
        var cursor: WindowedScanner
        let size: Int
        let splitAbove: Int
        let descriptor: Int32
        var snapshot: Snapshot
        /// The thread parsing the second half of the records, while it may be running.
        var second: SecondHalf?

        init(cursor: WindowedScanner, size: Int, splitAbove: Int, descriptor: Int32) {
            self.cursor = cursor
            self.size = size
            self.splitAbove = splitAbove
            self.descriptor = descriptor
            // A record takes 100 bytes or more of JSON; unused reserve is never touched.
            self.cursor.scanner.arena.reserveCapacity(size)
            snapshot = Snapshot(block: nil, arena: RecordArena(), index: KeyIndex(expectedCount: size / 100), duplicates: [:])
        }

        mutating func read() throws(SnapshotScanner.Bail) -> Snapshot {
            try cursor.step { scanner throws(SnapshotScanner.Bail) in
                scanner.skipByteOrderMark()
                try scanner.expect(UInt8(ascii: "{"))
                guard scanner.peek() != UInt8(ascii: "}") else { throw .init() }
            }
            var sawRecords = false
            var names: Set<String> = []
            members: while true {
                let name = try cursor.step { scanner throws(SnapshotScanner.Bail) -> String in
                    let name = try scanner.string()
                    guard name.ascii else { throw .init() }
                    try scanner.expect(UInt8(ascii: ":"))
                    return String(decoding: UnsafeBufferPointer(start: scanner.base + name.start, count: name.count), as: UTF8.self)
                }
                // A member named twice is an error, which the reader reports with its position.
                guard names.insert(name).inserted else { throw .init() }
                switch name {
                case "blockNumber":
                    snapshot.block = try cursor.step { scanner throws(SnapshotScanner.Bail) in try scanner.blockNumber() }
                case "records":
                    sawRecords = true
                    try records()
                default: try cursor.step { scanner throws(SnapshotScanner.Bail) in try scanner.skipValue() }
                }
                if try cursor.step({ scanner throws(SnapshotScanner.Bail) in try scanner.separator(closing: UInt8(ascii: "}")) }) { break members }
            }
            guard sawRecords, snapshot.block != nil, cursor.atEndOfFile() else { throw .init() }
            snapshot.arena = cursor.scanner.arena
            return snapshot
        }

        private mutating func records() throws(SnapshotScanner.Bail) {
            let empty = try cursor.step { scanner throws(SnapshotScanner.Bail) -> Bool in
                try scanner.expect(UInt8(ascii: "["))
                guard scanner.peek() == UInt8(ascii: "]") else { return false }
                scanner.position += 1
                return true
            }
            if empty { return }
            if size - cursor.offset > splitAbove, let split = boundary(after: cursor.offset + (size - cursor.offset) / 2) {
                second = SecondHalf(descriptor: descriptor, from: split, reserve: size - split, layout: cursor.scanner.layout,
                                    window: cursor.window.buffer.count, seed: snapshot.index.seed)
            }
            while true {
                if let second {
                    try cursor.step { scanner throws(SnapshotScanner.Bail) in _ = scanner.peek(); if scanner.hitEnd { throw .init() } }
                    if cursor.offset >= second.start {
                        // Landing on the boundary proves it is one; otherwise it was inside a record.
                        if cursor.offset == second.start, let half = second.finish() {
                            try merge(half)
                            return
                        }
                        second.finish(cancel: true)
                        self.second = nil
                    }
                }
                let offset = try cursor.step { scanner throws(SnapshotScanner.Bail) in try scanner.record() }
                Self.insert(offset, hash: nil, arena: cursor.scanner.arena, into: &snapshot)
                if try cursor.step({ scanner throws(SnapshotScanner.Bail) in try scanner.separator(closing: UInt8(ascii: "]")) }) {
                    second?.finish(cancel: true)
                    second = nil
                    return
                }
            }
        }

        /// The first `{` after `offset` that follows `}` and `,`: a record start, unless it is in a string or nested object.
        private func boundary(after offset: Int) -> Int? {
            let bytes = cursor.window.peek(at: offset, length: 1 << 16)
            guard var index = bytes.firstIndex(of: UInt8(ascii: "}")) else { return nil }
            index += 1
            func skipWhitespace() { while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 } }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ",") else { return nil }
            index += 1
            skipWhitespace()
            return index < bytes.count && bytes[index] == UInt8(ascii: "{") ? offset + index : nil
        }

        /// Indexes the record at `offset`; a duplicate key is counted, the first record kept.
        private static func insert(_ offset: Int, hash: UInt64?, arena: RecordArena, into snapshot: inout Snapshot) {
            arena.withKey(at: offset) { key in
                if snapshot.index.insert(key, hash: hash ?? snapshot.index.hash(key), offset: offset, in: arena) != nil {
                    snapshot.duplicates[String(decoding: key, as: UTF8.self), default: 1] += 1
                }
            }
        }

        private mutating func merge(_ half: SecondHalf.Result) throws(SnapshotScanner.Bail) {
            let shift = cursor.scanner.arena.count
            cursor.scanner.arena.append(contentsOf: half.arena)
            for (hash, offset) in half.records { Self.insert(shift + offset, hash: hash, arena: cursor.scanner.arena, into: &snapshot) }
            try cursor.move(to: half.end)
            snapshot.parts = 2
        }
    }
}

/// The second half of a records array, parsed on its own thread from a candidate record start
/// up to the end of the array.
private final class SecondHalf: @unchecked Sendable {
    struct Result {
        var arena: RecordArena
        /// Each record's key hash and offset in `arena`, in file order.
        var records: [(hash: UInt64, offset: Int)]
        /// Just after the array's `]`.
        var end: Int
    }

    let start: Int
    private let cancelled = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    /// Written by the thread before it signals `done`; read after waiting.
    private var result: Result?
    private var finished = false

    /// `reserve`: the bytes of the file after `start`, more than its records take packed.
    init(descriptor: Int32, from start: Int, reserve: Int, layout: SnapshotScanner.Layout, window: Int, seed: UInt64) {
        self.start = start
        let thread = Thread { [self] in
            result = WindowedScanner(descriptor: descriptor, at: start, layout: layout, window: window).flatMap { parse($0, reserve: reserve, seed: seed) }
            done.signal()
        }
        thread.start()
    }

    private func parse(_ cursor: WindowedScanner, reserve: Int, seed: UInt64) -> Result? {
        var cursor = cursor
        cursor.scanner.arena.reserveCapacity(reserve)
        var records: [(hash: UInt64, offset: Int)] = []
        records.reserveCapacity(reserve / 100)
        do {
            while !cancelled.load(ordering: .relaxed) {
                let offset = try cursor.step { scanner throws(SnapshotScanner.Bail) in try scanner.record() }
                records.append((cursor.scanner.arena.withKey(at: offset) { KeyIndex.hash($0, seed: seed) }, offset))
                if try cursor.step({ scanner throws(SnapshotScanner.Bail) in try scanner.separator(closing: UInt8(ascii: "]")) }) {
                    return Result(arena: cursor.scanner.arena, records: records, end: cursor.offset)
                }
            }
        } catch {}
        return nil
    }

    /// Waits for the thread (stopping it when it is not needed) and returns its result.
    @discardableResult
    func finish(cancel: Bool = false) -> Result? {
        if cancel { cancelled.store(true, ordering: .relaxed) }
        if !finished {
            done.wait()
            finished = true
        }
        return result
    }
}
