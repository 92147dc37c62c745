/// `exact`: the typed values are equal.
public enum ExactComparator: ComparatorPlugin {
    public static let description = PluginDescription<ComparatorExample>(
        identifier: "exact",
        summary: "Passes when both typed values are equal; the default for every type but address.",
        passing: [
            ComparatorExample(field: "{ type: amount }", db: "500", chain: 500),
            ComparatorExample(field: "{ type: string, compare: exact }", db: "USDC", chain: "USDC"),
        ],
        failing: [
            ComparatorExample(field: "{ type: amount, compare: exact }", db: "500", chain: "450"),
            ComparatorExample(field: "{ type: address, compare: exact }",
                              db: "0x52908400098527886E0F7030069857D2E4169EE7", chain: "0x52908400098527886e0f7030069857d2e4169ee7"),
        ]
    )

    public static func makeComparator(_ context: ComparatorContext) throws(PluginError) -> Comparator {
        try context.requireNoParameter(description.identifier)
        return Comparator(summary: "exact") { $0 == $1 }
    }
}
