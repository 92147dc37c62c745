import Foundation
import Synchronization

/// Reads a chain snapshot with `SnapshotScanner` over the memory-mapped file. A large records
/// array is split in two at a record boundary and the halves are parsed on two threads. Returns
/// nil whenever the scanner bails, and the caller falls back to `SnapshotReader`.
/// A snapshot replaced by renaming a new file over it is safe to read; one truncated in place
/// while it is read would fault (SIGBUS), as any mapped file does.
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
    static func read(path: String, layout: SnapshotScanner.Layout, splitAbove: Int = 4 << 20) -> Snapshot? {
        let descriptor = Foundation.open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_size > 0, let mapped = mmap(nil, Int(status.st_size), PROT_READ, MAP_PRIVATE, descriptor, 0),
              mapped != MAP_FAILED
        else { return nil }
        let size = Int(status.st_size)
        defer { munmap(mapped, size) }
        madvise(mapped, size, Int32(MADV_SEQUENTIAL))
        var reader = Reader(scanner: SnapshotScanner(base: mapped.assumingMemoryBound(to: UInt8.self), end: size, position: 0, layout: layout),
                            splitAbove: splitAbove)
        defer { reader.second?.finish(cancel: true) }
        do {
            return try reader.read()
        } catch {
            return nil
        }
    }

    private struct Reader {
        var scanner: SnapshotScanner
        let splitAbove: Int
        var snapshot: Snapshot
        /// The thread parsing the second half of the records, while it may be running.
        var second: SecondHalf?

        init(scanner: SnapshotScanner, splitAbove: Int) {
            self.scanner = scanner
            self.splitAbove = splitAbove
            // A record takes 100 bytes or more of JSON; unused reserve is never touched.
            self.scanner.arena.reserveCapacity(scanner.end)
            snapshot = Snapshot(block: nil, arena: RecordArena(), index: KeyIndex(expectedCount: scanner.end / 100), duplicates: [:])
        }

        mutating func read() throws(SnapshotScanner.Bail) -> Snapshot {
            try scanner.expect(UInt8(ascii: "{"))
            guard scanner.peek() != UInt8(ascii: "}") else { throw .init() }
            var sawRecords = false
            members: while true {
                let name = try scanner.string()
                guard name.ascii else { throw .init() }
                try scanner.expect(UInt8(ascii: ":"))
                switch String(decoding: UnsafeBufferPointer(start: scanner.base + name.start, count: name.count), as: UTF8.self) {
                case "blockNumber": snapshot.block = try scanner.blockNumber()
                case "records":
                    guard !sawRecords else { throw .init() }
                    sawRecords = true
                    try records()
                default: try scanner.skipValue()
                }
                switch scanner.peek() {
                case UInt8(ascii: ","): scanner.position += 1
                case UInt8(ascii: "}"): scanner.position += 1; break members
                default: throw .init()
                }
            }
            scanner.skipWhitespace()
            guard sawRecords, scanner.position == scanner.end else { throw .init() }
            snapshot.arena = scanner.arena
            return snapshot
        }

        private mutating func records() throws(SnapshotScanner.Bail) {
            try scanner.expect(UInt8(ascii: "["))
            if scanner.peek() == UInt8(ascii: "]") {
                scanner.position += 1
                return
            }
            if scanner.end - scanner.position > splitAbove, let split = boundary(after: scanner.position + (scanner.end - scanner.position) / 2) {
                second = SecondHalf(scanner: scanner, from: split, seed: snapshot.index.seed)
            }
            while true {
                scanner.skipWhitespace()
                if let second, scanner.position >= second.start {
                    // Landing on the boundary proves it is one; otherwise it was inside a record.
                    if scanner.position == second.start, let half = second.finish() {
                        merge(half)
                        return
                    }
                    second.finish(cancel: true)
                    self.second = nil
                }
                let offset = try scanner.record()
                Self.insert(offset, hash: nil, arena: scanner.arena, into: &snapshot)
                scanner.releaseParsedPages()
                switch scanner.peek() {
                case UInt8(ascii: ","): scanner.position += 1
                case UInt8(ascii: "]"):
                    scanner.position += 1
                    second?.finish(cancel: true)
                    second = nil
                    return
                default: throw .init()
                }
            }
        }

        /// The first `{` after `position` that follows `}` and `,`: a record start, unless it is in a string or nested object.
        private func boundary(after position: Int) -> Int? {
            let base = scanner.base, end = min(scanner.end, position + (1 << 16))
            var index = position
            while index < end, base[index] != UInt8(ascii: "}") { index += 1 }
            index += 1
            func skipWhitespace() { while index < end, [0x20, 0x0A, 0x0D, 0x09].contains(base[index]) { index += 1 } }
            skipWhitespace()
            guard index < end, base[index] == UInt8(ascii: ",") else { return nil }
            index += 1
            skipWhitespace()
            return index < end && base[index] == UInt8(ascii: "{") ? index : nil
        }

        /// Indexes the record at `offset`; a duplicate key is counted, the first record kept.
        private static func insert(_ offset: Int, hash: UInt64?, arena: RecordArena, into snapshot: inout Snapshot) {
            arena.withKey(at: offset) { key in
                if snapshot.index.insert(key, hash: hash ?? snapshot.index.hash(key), offset: offset, in: arena) != nil {
                    snapshot.duplicates[String(decoding: key, as: UTF8.self), default: 1] += 1
                }
            }
        }

        private mutating func merge(_ half: SecondHalf.Result) {
            let shift = scanner.arena.count
            scanner.arena.append(contentsOf: half.arena)
            for (hash, offset) in half.records { Self.insert(shift + offset, hash: hash, arena: scanner.arena, into: &snapshot) }
            scanner.position = half.end
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

    /// The mapped file, shared read-only with the thread.
    private struct Mapping: @unchecked Sendable {
        let base: UnsafePointer<UInt8>
        let end: Int
    }

    init(scanner: SnapshotScanner, from start: Int, seed: UInt64) {
        self.start = start
        let (mapping, layout) = (Mapping(base: scanner.base, end: scanner.end), scanner.layout)
        let thread = Thread { [self] in
            result = parse(SnapshotScanner(base: mapping.base, end: mapping.end, position: start, layout: layout), seed: seed)
            done.signal()
        }
        thread.start()
    }

    private func parse(_ scanner: SnapshotScanner, seed: UInt64) -> Result? {
        var scanner = scanner
        scanner.arena.reserveCapacity(scanner.end - start)
        var records: [(hash: UInt64, offset: Int)] = []
        records.reserveCapacity((scanner.end - start) / 100)
        do {
            while !cancelled.load(ordering: .relaxed) {
                let offset = try scanner.record()
                records.append((scanner.arena.withKey(at: offset) { KeyIndex.hash($0, seed: seed) }, offset))
                scanner.releaseParsedPages()
                switch scanner.peek() {
                case UInt8(ascii: ","): scanner.position += 1
                case UInt8(ascii: "]"): return Result(arena: scanner.arena, records: records, end: scanner.position + 1)
                default: return nil
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
