/// Encodes calls with static arguments: the selector, then one 32-byte word per argument.
public enum ABIEncoder {
    /// The 32-byte word of `value` as `type`; a value of another kind, or one out of the type's range, is an error.
    /// Integers cross signedness when the value fits (`.int(5)` encodes as a `uint8`).
    public static func encode(_ value: ABIValue, as type: ABIType) throws(ABIError) -> [UInt8] {
        switch (type, value) {
        case (.uint(let bits), .uint(let number)):
            guard number.fits(bits: bits) else { throw ABIError(.invalidValue, "\(number) does not fit in \(type)") }
            return number.bigEndianBytes
        case (.uint(let bits), .int(let number)):
            guard !number.isNegative, number.bitPattern.fits(bits: bits) else { throw ABIError(.invalidValue, "\(number) does not fit in \(type)") }
            return number.bitPattern.bigEndianBytes
        case (.int(let bits), .int(let number)):
            guard number.fits(bits: bits) else { throw ABIError(.invalidValue, "\(number) does not fit in \(type)") }
            return number.bitPattern.bigEndianBytes
        case (.int(let bits), .uint(let number)):
            guard number.fits(bits: bits - 1) else { throw ABIError(.invalidValue, "\(number) does not fit in \(type)") }
            return number.bigEndianBytes
        case (.address, .address(let address)):
            return [UInt8](repeating: 0, count: 12) + address.bytes
        case (.bool, .bool(let flag)):
            return (flag ? 1 : 0 as UInt256).bigEndianBytes
        case (.fixedBytes(let count), .fixedBytes(let bytes)):
            guard bytes.count == count else { throw ABIError(.invalidValue, "\(Hex.encode(bytes)) is \(bytes.count) bytes; \(type) takes \(count)") }
            return bytes + [UInt8](repeating: 0, count: 32 - count)
        default:
            throw ABIError(.argumentMismatch, "\(type) cannot hold \(value.kindName) (\(value))")
        }
    }
}

extension ViewSignature {
    /// Calldata for this view: the selector, then each argument's word; a count or value mismatch is an error.
    public func encodeCall(_ values: [ABIValue]) throws(ABIError) -> [UInt8] {
        guard values.count == arguments.count else {
            let plural = arguments.count == 1 ? "" : "s"
            throw ABIError(.argumentMismatch, "\(canonical) takes \(arguments.count) argument\(plural); got \(values.count)")
        }
        var calldata = selector.bytes
        calldata.reserveCapacity(4 + 32 * values.count)
        for (index, (value, type)) in zip(values, arguments).enumerated() {
            do {
                calldata += try ABIEncoder.encode(value, as: type)
            } catch {
                throw error.prefixed("argument \(index + 1) of \(canonical)")
            }
        }
        return calldata
    }
}
