/// `ignore`: never reports a mismatch; values are still parsed and usable by invariants.
public enum IgnoreComparator: ComparatorPlugin {
    public static let description = PluginDescription<ComparatorExample>(
        identifier: "ignore",
        summary: "Never reports a mismatch; the values are still parsed, so invalid values and invariants are still checked.",
        passing: [ComparatorExample(field: "{ type: amount, compare: ignore }", db: "1", chain: "2")],
        failing: [ComparatorExample(field: "{ type: amount, compare: ignore }", db: "1", chain: "two")]
    )

    public static func makeComparator(_ context: ComparatorContext) throws(PluginError) -> Comparator {
        try context.requireNoParameter(description.identifier)
        return Comparator(summary: "ignored") { _, _ in true }
    }
}
