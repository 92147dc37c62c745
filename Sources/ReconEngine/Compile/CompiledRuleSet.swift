/// A rules file compiled into closures: what `reconcile` applies to every stream pair.
/// Field names are resolved to slots, so applying it looks nothing up by name.
public struct CompiledRuleSet: Sendable {
    public struct Field: Sendable {
        public let name: String
        /// The DB column read into this field's slot.
        public let dbColumn: String
        /// The on-chain field read into this field's slot.
        public let chainField: String
        public let type: FieldType
        public let severity: Severity
        let comparator: Comparator
        let chainParser: ValueParser
    }

    public struct Invariant: Sendable {
        public let name: String
        public let sides: [Side]
        public let severity: Severity
        public let expression: String
        let assert: Predicate
        let when: Predicate?
        /// The field slots the assert and when read, in first-use order.
        let slots: [Int]
    }

    public let name: String
    /// The file the rules were compiled from.
    public let file: String
    public let table: String
    /// The DB column and the on-chain field that pair records.
    public let keyColumn: String
    public let keyChainField: String
    /// Fields in rules-file order; a raw row for `reconcile` lists values in this order.
    public let fields: [Field]
    public let invariants: [Invariant]

    /// The DB columns a source reads, in slot order.
    public var dbColumns: [String] { fields.map(\.dbColumn) }
    /// The on-chain fields a source reads, in slot order.
    public var chainFields: [String] { fields.map(\.chainField) }
}
