/// Where each rule of a compiled rules file is written, for reports that point back at the rules
/// file (SARIF, JUnit): every field and invariant by name, and `key`, each with its place and a
/// one-line summary of what it checks.
public struct RuleLocations: Sendable, Equatable {
    /// What a rule is: a field, an invariant, or the key that pairs records.
    public enum Kind: String, Sendable {
        case field, invariant, key
    }

    /// One field, invariant or the key.
    public struct Rule: Sendable, Equatable {
        public var kind: Kind
        public var name: String
        /// Where its name (or `key:`) is written; nil when the rules were not read from a file.
        public var location: TextLocation?
        /// What it checks: `DB released_amount against on-chain withdrawn (amount, exact)`.
        public var summary: String
        /// The severity of its findings.
        public var severity: Severity

        public init(kind: Kind, name: String, location: TextLocation?, summary: String, severity: Severity) {
            self.kind = kind
            self.name = name
            self.location = location
            self.summary = summary
            self.severity = severity
        }
    }

    /// The rules file, as its path was given.
    public var file: String
    public var key: Rule
    public var fields: [String: Rule]
    public var invariants: [String: Rule]

    public init(file: String, key: Rule, fields: [String: Rule], invariants: [String: Rule]) {
        self.file = file
        self.key = key
        self.fields = fields
        self.invariants = invariants
    }

    public init(_ ruleSet: CompiledRuleSet) {
        file = ruleSet.file
        key = Rule(kind: .key, name: "key", location: ruleSet.keyLocation,
                   summary: "streams pair by DB \(ruleSet.keyColumn) and on-chain \(ruleSet.keyChainField)", severity: .critical)
        var fields: [String: Rule] = [:]
        for field in ruleSet.fields {
            let summary = "DB \(field.dbColumn) against on-chain \(field.chainField) (\(field.type.identifier), \(field.comparator.summary))"
            fields[field.name] = Rule(kind: .field, name: field.name, location: field.location, summary: summary, severity: field.severity)
        }
        var invariants: [String: Rule] = [:]
        for invariant in ruleSet.invariants {
            let summary = "\(invariant.expression), on \(invariant.sides.map(\.rawValue).joined(separator: " and "))"
            invariants[invariant.name] = Rule(kind: .invariant, name: invariant.name, location: invariant.location, summary: summary,
                                              severity: invariant.severity)
        }
        self.fields = fields
        self.invariants = invariants
    }

    /// The rule a finding comes from: its invariant for a violation, its field for a mismatch or
    /// an invalid value, `key` for a missing record or a source error. Nil when these rules do
    /// not have it (a report made with another version of the rules file).
    public func rule(for finding: Finding) -> Rule? {
        switch finding.kind {
        case .invariantViolation: invariants[finding.rule]
        case .mismatch, .invalidValue: fields[finding.field ?? finding.rule]
        case .missingOnChain, .missingInDB, .sourceError: key
        }
    }
}
