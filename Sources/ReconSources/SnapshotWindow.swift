import Foundation

/// A window onto the snapshot file, read with `pread`, that a `SnapshotScanner` parses: it
/// moves on (or grows, for a value larger than half of it) when the scanner runs out of bytes.
/// Each thread has its own. Reading, not mapping, the file: a file truncated while it is read
/// ends early (and the fallback reader reports it) where a mapped one would fault.
final class SnapshotWindow {
    private let descriptor: Int32
    private(set) var buffer: UnsafeMutableBufferPointer<UInt8>
    /// The file offset of `buffer[0]`, and how many bytes of the buffer hold file content.
    private(set) var fileOffset = 0
    private(set) var count = 0

    init(descriptor: Int32, capacity: Int = 1 << 20) {
        self.descriptor = descriptor
        buffer = .allocate(capacity: max(capacity, 64))
    }

    deinit { buffer.deallocate() }

    var base: UnsafePointer<UInt8> { UnsafePointer(buffer.baseAddress!) }

    /// Starts the window at `offset`; false when nothing could be read there.
    func load(at offset: Int) -> Bool {
        fileOffset = offset
        count = 0
        return fill()
    }

    /// Drops the bytes before `keep` and reads more after the rest; returns how far the kept
    /// bytes moved, or nil at the end of the file.
    func advance(keeping keep: Int) -> Int? {
        let kept = count - keep
        if kept > buffer.count / 2 {
            let larger = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: buffer.count * 2)
            larger.baseAddress!.update(from: buffer.baseAddress! + keep, count: kept)
            buffer.deallocate()
            buffer = larger
        } else if keep > 0 {
            buffer.baseAddress!.update(from: buffer.baseAddress! + keep, count: kept)
        }
        fileOffset += keep
        count = kept
        return fill() ? keep : nil
    }

    /// Reads into the free end of the buffer; false when no byte came (the end of the file, or an error).
    private func fill() -> Bool {
        var total = 0
        while count < buffer.count {
            let read = pread(descriptor, buffer.baseAddress! + count, buffer.count - count, off_t(fileOffset + count))
            if read < 0, errno == EINTR { continue }
            guard read > 0 else { break }
            count += read
            total += read
        }
        return total > 0
    }

    /// Reads up to `length` bytes at `offset` without moving the window.
    func peek(at offset: Int, length: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: length)
        let read = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, length, off_t(offset)) }
        return Array(bytes.prefix(max(0, read)))
    }
}

/// A scanner over a window of the file, which moves on when a step runs out of bytes.
struct WindowedScanner {
    var scanner: SnapshotScanner
    let window: SnapshotWindow

    init?(descriptor: Int32, at offset: Int, layout: SnapshotScanner.Layout, window size: Int) {
        window = SnapshotWindow(descriptor: descriptor, capacity: size)
        guard window.load(at: offset) else { return nil }
        scanner = SnapshotScanner(base: window.base, end: window.count, position: 0, layout: layout)
    }

    /// The scanner's position in the file.
    var offset: Int { window.fileOffset + scanner.position }

    /// Runs one step of the parse; when it failed for want of bytes, reads more and runs it
    /// again from where it started (a step keeps nothing from a failed try but the position).
    mutating func step<T>(_ body: (inout SnapshotScanner) throws(SnapshotScanner.Bail) -> T) throws(SnapshotScanner.Bail) -> T {
        while true {
            let start = scanner.position
            scanner.hitEnd = false
            do {
                return try body(&scanner)
            } catch {
                guard scanner.hitEnd, let shift = window.advance(keeping: start) else { throw error }
                scanner.rebase(base: window.base, end: window.count, position: start - shift)
            }
        }
    }

    /// Whether only whitespace is left in the file.
    mutating func atEndOfFile() -> Bool {
        while true {
            scanner.skipWhitespace()
            guard scanner.position == scanner.end else { return false }
            guard let shift = window.advance(keeping: scanner.position) else { return true }
            scanner.rebase(base: window.base, end: window.count, position: scanner.position - shift)
        }
    }

    mutating func move(to offset: Int) throws(SnapshotScanner.Bail) {
        guard window.load(at: offset) else { throw .init() }
        scanner.rebase(base: window.base, end: window.count, position: 0)
    }
}
