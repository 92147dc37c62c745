/// A comparator usable as a field's `compare:`. One conforming type per file, registered in
/// `BuiltInPlugins` (or by a caller through `PluginRegistry.registering`).
public protocol ComparatorPlugin: Sendable {
    /// The YAML identifier, a one-sentence summary, and field/value examples that match and differ.
    static var description: PluginDescription<ComparatorExample> { get }
    /// Checks that the comparator fits the field's type and its parameter, and builds the comparison.
    static func makeComparator(_ context: ComparatorContext) throws(PluginError) -> Comparator
    /// Whether the comparator is a bound that `compare:` may combine with other bounds
    /// (`{ tolerance: 5, tolerance_bps: 10 }` passes when either holds). False unless declared.
    static var isBound: Bool { get }
}

extension ComparatorPlugin {
    public static var isBound: Bool { false }
}

/// A compiled comparison of one field's DB value with its on-chain value.
public struct Comparator: Sendable {
    /// When set, parses the chain side instead of the field type (as `map` does).
    public var chainParser: ValueParser?
    public var matches: @Sendable (_ db: Value, _ chain: Value) -> Bool
    /// Names the comparison in mismatch messages, such as `within 5 base units`.
    public var summary: String
    /// False for a comparator that leaves the field out of the comparison (`ignore`): the field is
    /// then never compared or reported, and its values are parsed only where an invariant reads them.
    public var compares: Bool
    /// For a bound: what it allowed for two numbers that failed it, such as `the tolerance of 5`.
    public var bound: (@Sendable (_ db: Int128, _ chain: Int128) -> String)?
    /// For a bound: its limit on the absolute difference of two numbers (`tolerance: 5` is 5;
    /// `tolerance_bps` depends on the numbers), so rule tests can generate pairs at the bound.
    public var limit: (@Sendable (_ db: Int128, _ chain: Int128) -> UInt128?)?
    /// For a translating comparator (`map`): each on-chain value it knows and the value it
    /// declares for it, for rule-test coverage and boundaries.
    public var entries: [(chain: String, value: String)]?

    public init(summary: String, chainParser: ValueParser? = nil, compares: Bool = true,
                bound: (@Sendable (Int128, Int128) -> String)? = nil, matches: @escaping @Sendable (Value, Value) -> Bool) {
        self.summary = summary
        self.chainParser = chainParser
        self.compares = compares
        self.bound = bound
        self.matches = matches
    }
}

/// What a comparator plugin gets to build one field's comparison.
public struct ComparatorContext {
    public var fieldName: String
    public var fieldType: FieldType
    /// The value under the comparator's key in `compare: { name: value }`; nil for `compare: name`.
    public var parameter: PluginParameter?
    /// Where the comparator is named.
    public var location: TextLocation

    /// Throws unless the comparator was written without a parameter.
    public func requireNoParameter(_ identifier: String) throws(PluginError) {
        if let parameter, !(parameter.node.scalar.map { $0.string.isEmpty || $0.string == "true" } ?? false) {
            throw PluginError(.invalidParameter, "comparator '\(identifier)' takes no parameter; write 'compare: \(identifier)'", at: parameter.location)
        }
    }

    /// The parameter, or an error saying how to write it.
    public func requireParameter(_ identifier: String, example: String) throws(PluginError) -> PluginParameter {
        guard let parameter else {
            throw PluginError(.invalidParameter, "comparator '\(identifier)' needs a parameter; write 'compare: { \(identifier): \(example) }'", at: location)
        }
        return parameter
    }

    /// An error saying the comparator does not fit this field's type.
    public func typeMismatch(_ identifier: String, needs: String) -> PluginError {
        PluginError(
            .comparatorTypeMismatch,
            "comparator '\(identifier)' needs \(needs), but field '\(fieldName)' is of type '\(fieldType.identifier)'",
            at: location
        )
    }
}

/// A field definition (YAML flow mapping) with one DB and one chain value, and optionally an
/// invariant over the field (named `v`) checked on both sides.
public struct ComparatorExample: Sendable {
    public var field: String
    public var db: RawValue
    public var chain: RawValue
    public var invariant: String?

    public init(field: String, db: RawValue, chain: RawValue, invariant: String? = nil) {
        self.field = field
        self.db = db
        self.chain = chain
        self.invariant = invariant
    }
}
