import Foundation

/// The key and mapped names of a layout in flat tables, so matching a member name (several
/// times per record) copies and retains nothing.
final class NameMatcher: @unchecked Sendable {
    /// The key's bytes, then each mapped name's.
    private let bytes: UnsafeMutableBufferPointer<UInt8>
    /// Where each of those starts in `bytes`, and the end.
    private let starts: UnsafeMutableBufferPointer<Int>
    /// Each mapped name's slots, and where each name's start in `slots`.
    private let slots: UnsafeMutableBufferPointer<Int>
    private let slotStarts: UnsafeMutableBufferPointer<Int>
    private let nameCount: Int

    init(key: [UInt8], names: [(name: [UInt8], slots: [Int])]) {
        let all = [key] + names.map(\.name)
        bytes = .allocate(capacity: max(1, all.reduce(0) { $0 + $1.count }))
        starts = .allocate(capacity: all.count + 1)
        var position = 0
        for (index, name) in all.enumerated() {
            starts[index] = position
            for byte in name { bytes[position] = byte; position += 1 }
        }
        starts[all.count] = position
        let flat = names.flatMap(\.slots)
        slots = .allocate(capacity: max(1, flat.count))
        _ = slots.initialize(from: flat)
        slotStarts = .allocate(capacity: names.count + 1)
        var slotPosition = 0
        for (index, name) in names.enumerated() {
            slotStarts[index] = slotPosition
            slotPosition += name.slots.count
        }
        slotStarts[names.count] = slotPosition
        nameCount = names.count
    }

    deinit {
        bytes.deallocate()
        starts.deallocate()
        slots.deallocate()
        slotStarts.deallocate()
    }

    private func equals(_ entry: Int, _ name: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        starts[entry + 1] - starts[entry] == count && memcmp(bytes.baseAddress! + starts[entry], name, count) == 0
    }

    /// Whether the name is the key, and which mapped name it is.
    func match(_ name: UnsafePointer<UInt8>, _ count: Int) -> (isKey: Bool, mapped: Int?) {
        let isKey = equals(0, name, count)
        for index in 0..<nameCount where equals(index + 1, name, count) { return (isKey, index) }
        return (isKey, nil)
    }

    /// The slots the mapped name `index` fills.
    func slots(of index: Int) -> UnsafeMutableBufferPointer<Int>.SubSequence {
        slots[slotStarts[index]..<slotStarts[index + 1]]
    }
}
