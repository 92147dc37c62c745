/// `abs(x)`: the magnitude of a number.
public enum AbsFunction: FunctionPlugin {
    public static let description = PluginDescription<FunctionExample>(
        identifier: "abs",
        summary: "The magnitude of a number: abs(-5) is 5.",
        passing: [FunctionExample(assert: "abs(a - b) <= 5", a: "100", b: "104"), FunctionExample(assert: "abs(a) == 7", a: "-7")],
        failing: [FunctionExample(assert: "abs(a - b) <= 5", a: "100", b: "94"),
                  FunctionExample(assert: "abs(a) >= 0", a: "-170141183460469231731687303715884105728")]
    )
    public static let arity = 1...1

    public static func evaluate(_ arguments: [Int128]) -> Int128? {
        arguments[0] == .min ? nil : abs(arguments[0])
    }
}
