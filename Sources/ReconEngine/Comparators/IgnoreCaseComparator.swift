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
            return a == b || a.lowercased() == b.lowercased()
        }
    }
}
