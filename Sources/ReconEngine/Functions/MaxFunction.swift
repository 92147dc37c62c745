/// `max(x, y, ...)`: the largest argument.
public enum MaxFunction: FunctionPlugin {
    public static let description = PluginDescription<FunctionExample>(
        identifier: "max",
        summary: "The largest of two or more numbers of one type.",
        passing: [FunctionExample(assert: "max(a, b) == a", a: "9", b: "3")],
        failing: [FunctionExample(assert: "max(a, b) < 5", a: "9", b: "3")]
    )
    public static let arity = 2...16

    public static func evaluate(_ arguments: [Int128]) -> Int128? { arguments.max() }
}
