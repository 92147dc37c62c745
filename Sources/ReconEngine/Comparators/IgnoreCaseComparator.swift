/// `ignore_case`: text equal apart from letter case.
public enum IgnoreCaseComparator: ComparatorPlugin {
    public static let description = PluginDescription<ComparatorExample>(
        identifier: "ignore_case",
        summary: "Passes when the texts are equal apart from letter case; the default for address.",
        passing: [
            ComparatorExample(field: "{ type: address }", db: "0x52908400098527886E0F7030069857D2E4169EE7", chain: "0x52908400098527886e0f7030069857d2e4169ee7"),
            ComparatorExample(field: "{ type: string, compare: ignore_case }", db: "USDC", chain: "usdc"),
        ],
        failing: [ComparatorExample(field: "{ type: string, compare: ignore_case }", db: "USDC", chain: "USDT")]
    )

    public static func makeComparator(_ context: ComparatorContext) throws(PluginError) -> Comparator {
        let id = description.identifier
        guard context.fieldType.kind == .text else { throw context.typeMismatch(id, needs: "a text type (string, address, enum)") }
        try context.requireNoParameter(id)
        return Comparator(summary: "ignoring case") { db, chain in
            guard case .text(let a) = db, case .text(let b) = chain else { return db == chain }
            return a == b || equalIgnoringCase(a, b)
        }
    }

    /// ASCII letters compared without allocating; other text through `lowercased()`.
    static func equalIgnoringCase(_ a: String, _ b: String) -> Bool {
        var (a, b) = (a, b)
        let ascii: Bool? = a.withUTF8 { x in
            b.withUTF8 { y in
                guard x.count == y.count else { return x.allSatisfy { $0 < 0x80 } && y.allSatisfy { $0 < 0x80 } ? false : nil }
                for (p, q) in zip(x, y) where p != q {
                    guard p < 0x80, q < 0x80 else { return nil }
                    if p | 0x20 != q | 0x20 || !((UInt8(ascii: "a")...UInt8(ascii: "z")).contains(p | 0x20)) { return false }
                }
                return true
            }
        }
        return ascii ?? (a.lowercased() == b.lowercased())
    }
}
