import ReconChain

/// A rules file compiled into closures: what `reconcile` applies to every stream pair.
/// Field names are resolved to slots, so applying it looks nothing up by name.
public struct CompiledRuleSet: Sendable {
    public struct Field: Sendable {
        public let name: String
        /// Where the field's name is written in the rules file.
        public let location: TextLocation?
        /// The DB column read into this field's slot.
        public let dbColumn: String
        /// The on-chain field read into this field's slot.
        public let chainField: String
        /// The view call that reads it, when the chain side is an EVM contract.
        public let view: ViewSignature?
        public let type: FieldType
        public let severity: Severity
        /// `nullable: true`: null is a value (`Value.null`), not an invalid one.
        public let nullable: Bool
        let comparator: Comparator
        /// The comparator's test, null-aware for a nullable field.
        let matches: @Sendable (Value, Value) -> Bool
        let dbParser: ValueParser
        let chainParser: ValueParser

        /// Whether the field is compared and reported; false for `compare: ignore`.
        public var isCompared: Bool { comparator.compares }

        /// Parses a DB raw value as the field reads it (with its `decimals`, taking null when nullable).
        public func parseDB(_ raw: RawValue) -> Result<Value, InvalidValue> { dbParser(raw) }
        /// Parses an on-chain raw value as the field's comparator reads it (through a `map`, say).
        public func parseChain(_ raw: RawValue) -> Result<Value, InvalidValue> { chainParser(raw) }
        /// A value as a report shows it; nil for null.
        public func display(_ value: Value) -> String? {
            if case .null = value { return nil }
            return type.render(value)
        }
    }

    public struct Invariant: Sendable {
        public let name: String
        /// Where the invariant's name is written in the rules file.
        public let location: TextLocation?
        public let sides: [Side]
        public let severity: Severity
        public let expression: String
        let assert: Predicate
        let when: Predicate?
        /// The field slots the assert and when read, in first-use order.
        let slots: [Int]
        /// Nullable slots whose value it reads without testing them with `is null`: when one is
        /// null the invariant is not checked, whatever the order of its operands.
        let unguarded: [Int]
    }

    public let name: String
    /// The file the rules were compiled from.
    public let file: String
    public let table: String
    /// The table's schema, when the rules name one (`db.schema`); PostgreSQL reads `public` without it.
    public let schema: String?
    /// The column that holds when the app last changed a row (`db.updated_at`); nil: not declared.
    public internal(set) var updatedAtColumn: String?
    /// The DB columns and the on-chain field that pair records: one column, or with
    /// `evm.deployments` the chain id's and the stream id's (a key is then their text joined by ':').
    public let keyColumns: [String]
    /// The key column; with several, their names joined by ', '.
    public var keyColumn: String { keyColumns.joined(separator: ", ") }
    public let keyChainField: String
    /// Where `key:` is written in the rules file.
    public let keyLocation: TextLocation?
    /// Fields in rules-file order; a raw row for `reconcile` lists values in this order.
    public let fields: [Field]
    public let invariants: [Invariant]
    /// How the chain side is read from an EVM contract, when the rules bind one (`evm:`).
    public let evm: EVMBinding?

    /// The closures `reconcile` calls, in flat arrays so the hot loop copies no metadata.
    private(set) var plan: ApplyPlan

    /// The rule set for a rule test case that leaves out some slots on a side: those are not
    /// parsed or compared there, and invariants that read them are not checked there.
    public func leavingOut(db: Set<Int>, chain: Set<Int>) -> CompiledRuleSet {
        guard !db.isEmpty || !chain.isEmpty else { return self }
        var copy = self
        copy.plan = ApplyPlan(fields: fields, invariants: invariants, absentDB: db, absentChain: chain)
        return copy
    }

    init(name: String, file: String, table: String, schema: String? = nil, keyColumn: String, keyChainField: String,
         keyLocation: TextLocation? = nil, fields: [Field], invariants: [Invariant], evm: EVMBinding? = nil) {
        self.init(name: name, file: file, table: table, schema: schema, keyColumns: [keyColumn], keyChainField: keyChainField,
                  keyLocation: keyLocation, fields: fields, invariants: invariants, evm: evm)
    }

    init(name: String, file: String, table: String, schema: String? = nil, keyColumns: [String], keyChainField: String,
         keyLocation: TextLocation? = nil, fields: [Field], invariants: [Invariant], evm: EVMBinding? = nil) {
        self.keyLocation = keyLocation
        self.schema = schema
        self.evm = evm
        self.name = name
        self.file = file
        self.table = table
        self.keyColumns = keyColumns
        self.keyChainField = keyChainField
        self.fields = fields
        self.invariants = invariants
        plan = ApplyPlan(fields: fields, invariants: invariants)
    }

    /// The DB columns a source reads, in slot order.
    public var dbColumns: [String] { fields.map(\.dbColumn) }
    /// The on-chain fields a source reads, in slot order.
    public var chainFields: [String] { fields.map(\.chainField) }
}

/// The per-record work of a rule set: parsers, comparisons and invariant checks by slot.
final class ApplyPlan: Sendable {
    struct Check: Sendable {
        var assert: Predicate
        var when: Predicate?
        var slots: [Int]
        var unguarded: [Int]
        var onDB: Bool
        var onChain: Bool
    }

    /// One field's closures. Kept in a struct: closures stored straight in an array are called
    /// through a reabstraction thunk, which showed in profiles.
    struct Slot: Sendable {
        var dbParse: ValueParser
        var chainParse: ValueParser
        var matches: @Sendable (Value, Value) -> Bool
        /// Compared and reported (false for `compare: ignore`).
        var compared: Bool
        /// Parsed on each side: compared, or read by an invariant checked on that side.
        var parsedDB: Bool
        var parsedChain: Bool
    }

    let slots: [Slot]
    let checks: [Check]

    /// Whether invariant `index` holds for `record`; nil when it does not apply there: its `when`
    /// is false, or it reads a null without an `is null` test. Throws when it cannot be evaluated
    /// (an overflow). Reads the check in place: copying it out retained its closures every time.
    func holds(_ index: Int, for record: Record) throws(EvaluationError) -> Bool? {
        // Empty unless the rules have nullable fields: a null read without an `is null` test skips the check.
        for slot in checks[index].unguarded where record[slot] == .null { return nil }
        do {
            if checks[index].when != nil, try !checks[index].when!(record) { return nil }
            return try checks[index].assert(record)
        } catch where error.isNull {
            // A null reached past an `is null` test (`x > 5 or x is null`): not checked either.
            return nil
        }
    }

    /// `absentDB` and `absentChain` are slots a rule test case leaves out on that side: they are
    /// neither parsed nor compared there, and invariants that read them are not checked there.
    init(fields: [CompiledRuleSet.Field], invariants: [CompiledRuleSet.Invariant], absentDB: Set<Int> = [], absentChain: Set<Int> = []) {
        checks = invariants.map { invariant in
            Check(assert: invariant.assert, when: invariant.when, slots: invariant.slots, unguarded: invariant.unguarded,
                  onDB: invariant.sides.contains(.db) && absentDB.isDisjoint(with: invariant.slots),
                  onChain: invariant.sides.contains(.chain) && absentChain.isDisjoint(with: invariant.slots))
        }
        let readOnDB = Set(zip(invariants, checks).filter { $0.1.onDB }.flatMap(\.0.slots))
        let readOnChain = Set(zip(invariants, checks).filter { $0.1.onChain }.flatMap(\.0.slots))
        slots = fields.indices.map { slot in
            let field = fields[slot]
            let compared = field.isCompared && !absentDB.contains(slot) && !absentChain.contains(slot)
            return Slot(dbParse: field.dbParser, chainParse: field.chainParser, matches: field.matches, compared: compared,
                        parsedDB: !absentDB.contains(slot) && (field.isCompared || readOnDB.contains(slot)),
                        parsedChain: !absentChain.contains(slot) && (field.isCompared || readOnChain.contains(slot)))
        }
    }
}
