/// `address`: a 20-byte EVM account, `0x` and 40 hex digits in any case.
public enum AddressType: ValueTypePlugin {
    public static let description = PluginDescription<ValueTypeExample>(
        identifier: "address",
        summary: "An EVM address: '0x' and 40 hex digits in any letter case; compared ignoring case by default.",
        passing: [
            ValueTypeExample("0x52908400098527886E0F7030069857D2E4169EE7", rendered: "0x52908400098527886E0F7030069857D2E4169EE7"),
            ValueTypeExample("0xde709f2102306220921060314715629080e2fb77", rendered: "0xde709f2102306220921060314715629080e2fb77"),
        ],
        failing: [
            ValueTypeExample("52908400098527886E0F7030069857D2E4169EE7"),
            ValueTypeExample("0x52908400098527886E0F7030069857D2E4169EE"),
            ValueTypeExample("0xZZ908400098527886E0F7030069857D2E4169EE7"),
            ValueTypeExample(12),
        ]
    )

    public static func makeType(_ context: ValueTypeContext) throws(PluginError) -> FieldType {
        FieldType(
            identifier: description.identifier,
            kind: .text,
            defaultComparator: "ignore_case",
            parse: { raw in
                guard case .text(let text) = raw else {
                    return .failure(InvalidValue(raw == .null ? "the value is null" : "\(raw.displayText ?? "") is not an address"))
                }
                return isAddress(text) ? .success(.text(text)) : .failure(InvalidValue("'\(text)' is not an address ('0x' and 40 hex digits)"))
            },
            render: AmountParsing.render
        )
    }

    static func isAddress(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { isAddress($0) } // no array per value
    }

    private static func isAddress(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == 42, bytes[0] == UInt8(ascii: "0"), bytes[1] == UInt8(ascii: "x") || bytes[1] == UInt8(ascii: "X") else {
            return false
        }
        return bytes[2...].allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
        }
    }
}
