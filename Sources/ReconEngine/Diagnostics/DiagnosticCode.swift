/// The stable codes of rules-file diagnostics. Their raw values are part of the lint output contract.
public enum DiagnosticCode: String, Sendable, Codable, CaseIterable {
    /// The file or directory cannot be read.
    case unreadableFile = "unreadable-file"
    /// The file is larger than a rules file may be.
    case fileTooLarge = "file-too-large"
    /// The file is not UTF-8 text.
    case notText = "not-text"
    /// The file holds no YAML document.
    case emptyFile = "empty-file"
    /// libyaml could not parse the file.
    case yamlSyntax = "yaml-syntax"
    /// A YAML anchor (`&name`): anchors and aliases are not allowed, so no alias-built structure can blow up.
    case anchorNotSupported = "anchor-not-supported"
    /// A mapping has the same key twice.
    case duplicateKey = "duplicate-key"
    /// A list has the same entry twice.
    case duplicateValue = "duplicate-value"
    /// A node is a mapping where a scalar was expected, or the like.
    case wrongNodeKind = "wrong-node-kind"
    /// A key that this place of the rules file does not know.
    case unknownKey = "unknown-key"
    /// A required key is absent.
    case missingKey = "missing-key"
    /// A scalar that is not one of the accepted values (a severity, a side, a version).
    case invalidValue = "invalid-value"
    /// A field or invariant name that expressions could not refer to.
    case invalidName = "invalid-name"
    /// A table or column name that is not a plain SQL identifier.
    case unsafeIdentifier = "unsafe-identifier"
    /// A field type that no plugin provides.
    case unknownType = "unknown-type"
    /// A comparator that no plugin provides.
    case unknownComparator = "unknown-comparator"
    /// A comparator that cannot compare values of the field's type.
    case comparatorTypeMismatch = "comparator-type-mismatch"
    /// A comparator or type parameter of the wrong shape or range.
    case invalidParameter = "invalid-parameter"
    /// An enum `map:` that maps to a value not listed in `values`.
    case enumMapValue = "enum-map-value"
    /// An `assert` or `when` expression that does not parse.
    case expressionSyntax = "expression-syntax"
    /// An expression names a field the rules file does not define.
    case unknownField = "unknown-field"
    /// An expression calls a function no plugin provides, or with the wrong number of arguments.
    case unknownFunction = "unknown-function"
    /// An expression mixes types, such as an amount compared with a string.
    case typeMismatch = "type-mismatch"
    /// A string literal compared with an enum field is not one of its values.
    case unknownEnumValue = "unknown-enum-value"
    /// An invariant reads a nullable field without an `is null` / `is not null` test of it (a warning:
    /// the invariant is then not checked for records where the field is null).
    case unguardedNullable = "unguarded-nullable"
    /// `is null` on a field that is not nullable, which is never true (a warning).
    case nullTestNotNullable = "null-test-not-nullable"
    /// The `evm` contract is not a valid address (or fails its EIP-55 checksum).
    case invalidContract = "invalid-contract"
    /// A view call that does not parse as a Solidity signature, or that takes other arguments than the stream id.
    case invalidView = "invalid-view"
    /// A view whose return type cannot hold the field's type (an address for an amount, say).
    case viewTypeMismatch = "view-type-mismatch"
    /// An `evm.events` entry whose signature does not parse, or whose `id` names no parameter
    /// that can hold a stream id.
    case invalidEvent = "invalid-event"
    /// A lint path holds no rules files.
    case noRulesFiles = "no-rules-files"
    /// An acknowledgement whose `expires` date has passed (a warning: it no longer applies).
    case expiredAck = "expired-ack"
}
