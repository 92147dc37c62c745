/// A function usable in invariant expressions, over numbers of one arithmetic type.
/// One conforming type per file, registered in `BuiltInPlugins`.
public protocol FunctionPlugin: Sendable {
    /// The name used in expressions, a one-sentence summary, and asserts that hold and fail.
    static var description: PluginDescription<FunctionExample> { get }
    /// How many arguments the function takes.
    static var arity: ClosedRange<Int> { get }
    /// The result, or nil when it does not fit in 128 bits.
    static func evaluate(_ arguments: [Int128]) -> Int128?
}

/// An `assert` over two amount fields `a` and `b`, with their values.
public struct FunctionExample: Sendable {
    public var assert: String
    public var a: RawValue
    public var b: RawValue

    public init(assert: String, a: RawValue, b: RawValue = 0) {
        self.assert = assert
        self.a = a
        self.b = b
    }
}
