/// Decodes static return values, refusing any word that does not fit its declared type rather than truncating it.
public enum ABIDecoder {
    /// The value of one 32-byte word read as `type`.
    public static func decode(word: some Collection<UInt8>, as type: ABIType) throws(ABIError) -> ABIValue {
        guard word.count == 32 else { throw ABIError(.malformed, "a word is 32 bytes; got \(word.count)") }
        return try decode(word: ArraySlice(word), as: type)
    }

    /// The one static value of a call's return data, which must be exactly one word.
    public static func decodeSingle(_ returnData: [UInt8], as type: ABIType) throws(ABIError) -> ABIValue {
        guard returnData.count == 32 else {
            let hint = returnData.isEmpty ? " (is there a contract at that address?)" : ""
            throw ABIError(.malformed, "return data is \(returnData.count) bytes; one \(type) takes exactly 32\(hint)")
        }
        return try decode(word: returnData[...], as: type)
    }

    /// One word, already known to be 32 bytes long.
    static func decode(word: ArraySlice<UInt8>, as type: ABIType) throws(ABIError) -> ABIValue {
        let value = UInt256(bigEndianBytes: word)!
        switch type {
        case .uint(let bits):
            guard value.fits(bits: bits) else { throw ABIError(.invalidValue, "value \(value) does not fit in \(type)") }
            return .uint(value)
        case .int(let bits):
            let signed = Int256(bitPattern: value)
            guard signed.fits(bits: bits) else { throw ABIError(.invalidValue, "value \(signed) does not fit in \(type)") }
            return .int(signed)
        case .address:
            guard value.fits(bits: 160) else {
                throw ABIError(.invalidValue, "word \(Hex.encode(word)) is not an address: its top 12 bytes are not zero")
            }
            return .address(EthereumAddress(bytes: word.suffix(20))!)
        case .bool:
            guard value <= 1 else { throw ABIError(.invalidValue, "value \(value) is not a bool: it must be 0 or 1") }
            return .bool(value == 1)
        case .fixedBytes(let count):
            guard word.suffix(32 - count).allSatisfy({ $0 == 0 }) else {
                throw ABIError(.invalidValue, "word \(Hex.encode(word)) is not \(type.withArticle): its last \(32 - count) bytes are not zero")
            }
            return .fixedBytes(Array(word.prefix(count)))
        }
    }
}

extension ViewSignature {
    /// The return value of this view from its return data, which must be exactly one word of `returnType`.
    public func decodeResult(_ returnData: [UInt8]) throws(ABIError) -> ABIValue {
        do {
            return try ABIDecoder.decodeSingle(returnData, as: returnType)
        } catch {
            throw error.prefixed(canonical)
        }
    }
}
