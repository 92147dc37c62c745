import Foundation
import ReconEngine

/// Records packed into one byte array, so a snapshot of millions of records costs about its
/// own size in memory instead of millions of small arrays and strings.
/// A record is its key (a 4-byte little-endian length and the UTF-8 bytes), then its values:
/// each a tag byte, then 8 little-endian bytes for an integer, or a 4-byte length and the
/// UTF-8 bytes for text and decimals.
struct RecordArena: Sendable {
    private(set) var bytes: [UInt8] = []

    enum Tag: UInt8 {
        case null, integer, text, decimal, falseValue, trueValue
    }

    var count: Int { bytes.count }

    mutating func reserveCapacity(_ count: Int) {
        bytes.reserveCapacity(count)
    }

    /// Starts a record with its key; returns where the record starts.
    mutating func appendKey(_ utf8: UnsafeBufferPointer<UInt8>) -> Int {
        let offset = bytes.count
        withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: utf8)
        return offset
    }

    mutating func append(contentsOf other: RecordArena) {
        bytes.append(contentsOf: other.bytes)
    }

    /// Calls `body` with the key of the record at `offset`.
    func withKey<T>(at offset: Int, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        bytes.withUnsafeBufferPointer { buffer in
            var length: UInt32 = 0
            withUnsafeMutableBytes(of: &length) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[offset..<offset + 4])) }
            return body(UnsafeBufferPointer(rebasing: buffer[offset + 4..<offset + 4 + Int(UInt32(littleEndian: length))]))
        }
    }

    func key(at offset: Int, equals key: UnsafeBufferPointer<UInt8>) -> Bool {
        withKey(at: offset) { $0.count == key.count && memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }
    }

    func key(at offset: Int) -> String {
        withKey(at: offset) { String(decoding: $0, as: UTF8.self) }
    }

    /// Appends a value that has no payload (null or a boolean).
    mutating func append(_ tag: Tag) {
        bytes.append(tag.rawValue)
    }

    mutating func append(integer: Int64) {
        bytes.append(Tag.integer.rawValue)
        withUnsafeBytes(of: integer.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends text or a decimal from its UTF-8 bytes.
    mutating func append(_ tag: Tag, _ utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(tag.rawValue)
        withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: utf8)
    }

    /// Appends a record's values, after its key.
    mutating func append(_ values: [RawValue]) {
        for value in values {
            switch value {
            case .null: bytes.append(Tag.null.rawValue)
            case .bool(let flag): bytes.append((flag ? Tag.trueValue : Tag.falseValue).rawValue)
            case .integer(let integer):
                bytes.append(Tag.integer.rawValue)
                withUnsafeBytes(of: integer.littleEndian) { bytes.append(contentsOf: $0) }
            case .text(let text): appendText(.text, text)
            case .decimal(let text): appendText(.decimal, text)
            }
        }
    }

    private mutating func appendText(_ tag: Tag, _ text: String) {
        bytes.append(tag.rawValue)
        var text = text
        text.withUTF8 { utf8 in
            withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: utf8)
        }
    }

    /// The `count` values of the record at `offset`.
    func values(at offset: Int, count: Int) -> [RawValue] {
        var values: [RawValue] = []
        values.reserveCapacity(count)
        bytes.withUnsafeBufferPointer { buffer in
            var position = offset
            position += 4 + withKey(at: offset) { $0.count }
            func integer<T: FixedWidthInteger>(_: T.Type) -> T {
                var value: T = 0
                withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: buffer[position..<position + MemoryLayout<T>.size]))) }
                position += MemoryLayout<T>.size
                return T(littleEndian: value)
            }
            func text() -> String {
                let length = Int(integer(UInt32.self))
                defer { position += length }
                return String(decoding: UnsafeBufferPointer(rebasing: buffer[position..<position + length]), as: UTF8.self)
            }
            for _ in 0..<count {
                let tag = Tag(rawValue: buffer[position])
                position += 1
                switch tag {
                case .integer: values.append(.integer(integer(Int64.self)))
                case .text: values.append(.text(text()))
                case .decimal: values.append(.decimal(text()))
                case .falseValue: values.append(.bool(false))
                case .trueValue: values.append(.bool(true))
                case .null, nil: values.append(.null)
                }
            }
        }
        return values
    }
}
