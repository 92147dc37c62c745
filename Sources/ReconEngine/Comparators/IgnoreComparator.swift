/// `ignore`: the field is never compared and never reported.
public enum IgnoreComparator: ComparatorPlugin {
    public static let description = PluginDescription<ComparatorExample>(
        identifier: "ignore",
        summary: "Never compares or reports the field; its values are parsed only where an invariant reads them.",
        passing: [
            ComparatorExample(field: "{ type: amount, compare: ignore }", db: "1", chain: "2"),
            ComparatorExample(field: "{ type: string, compare: ignore }", db: nil, chain: "memo"),
            ComparatorExample(field: "{ type: amount, compare: ignore }", db: "1", chain: "two"),
        ],
        failing: [ComparatorExample(field: "{ type: amount, compare: ignore }", db: "1", chain: "two", invariant: "v >= 0")]
    )

    public static func makeComparator(_ context: ComparatorContext) throws(PluginError) -> Comparator {
        try context.requireNoParameter(description.identifier)
        return Comparator(summary: "ignored", compares: false) { _, _ in true }
    }
}
