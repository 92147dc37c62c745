/// `min(x, y, ...)`: the smallest argument.
public enum MinFunction: FunctionPlugin {
    public static let description = PluginDescription<FunctionExample>(
        identifier: "min",
        summary: "The smallest of two or more numbers of one type.",
        passing: [FunctionExample(assert: "min(a, b) == b", a: "9", b: "3")],
        failing: [FunctionExample(assert: "min(a, b, 0) > 0", a: "9", b: "3")]
    )
    public static let arity = 2...16

    public static func evaluate(_ arguments: [Int128]) -> Int128? { arguments.min() }
}
