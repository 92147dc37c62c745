/// A value type usable as a field's `type:`. One conforming type per file, registered in
/// `BuiltInPlugins` (or by a caller through `PluginRegistry.registering`).
public protocol ValueTypePlugin: Sendable {
    /// The YAML identifier, a one-sentence summary, and raw values it accepts and rejects.
    static var description: PluginDescription<ValueTypeExample> { get }
    /// Field keys this type reads beside the common ones (for example `values` for `enum`).
    static var parameterKeys: [String] { get }
    /// Builds the field's type from its parameters; throws when they are wrong.
    static func makeType(_ context: ValueTypeContext) throws(PluginError) -> FieldType
}

extension ValueTypePlugin {
    public static var parameterKeys: [String] { [] }
}

/// What a value type plugin gets to build one field's type.
public struct ValueTypeContext {
    public var fieldName: String
    /// The field's parameter keys (from `parameterKeys`) that the rules file sets.
    public var parameters: [String: PluginParameter]
    /// Where the field's `type:` is written.
    public var location: TextLocation
}

/// A raw value and whether the type accepts it; the rendered typed value when it does.
public struct ValueTypeExample: Sendable {
    public var raw: RawValue
    /// Extra field keys in YAML flow form, such as `values: [a, b]`.
    public var parameters: String
    public var rendered: String?

    public init(_ raw: RawValue, parameters: String = "", rendered: String? = nil) {
        self.raw = raw
        self.parameters = parameters
        self.rendered = rendered
    }
}
