extension DiagnosticCode {
    /// One line on what the code means, for formats that describe each code they use (SARIF's rules).
    public var summary: String {
        switch self {
        case .unreadableFile: "The file or directory cannot be read."
        case .fileTooLarge: "The file is larger than a rules file may be."
        case .notText: "The file is not UTF-8 text."
        case .emptyFile: "The file holds no YAML document."
        case .yamlSyntax: "The file is not valid YAML."
        case .anchorNotSupported: "YAML anchors and aliases are not allowed in rules files."
        case .duplicateKey: "A mapping has the same key twice."
        case .duplicateValue: "A list has the same entry twice."
        case .wrongNodeKind: "A value has the wrong shape: a mapping where a single value belongs, or the like."
        case .unknownKey: "A key this place of the rules file does not know."
        case .missingKey: "A required key is absent."
        case .invalidValue: "A value that is not one of those accepted (a severity, a side, a version)."
        case .invalidName: "A field or invariant name that expressions could not refer to."
        case .unsafeIdentifier: "A table or column name that is not a plain SQL identifier."
        case .unknownType: "A field type that no plugin provides."
        case .unknownComparator: "A comparator that no plugin provides."
        case .comparatorTypeMismatch: "A comparator that cannot compare values of the field's type."
        case .invalidParameter: "A comparator or type parameter of the wrong shape or range."
        case .enumMapValue: "An enum map to a value not listed in the field's values."
        case .expressionSyntax: "An assert or when expression that does not parse."
        case .unknownField: "An expression names a field the rules file does not define."
        case .unknownFunction: "An expression calls an unknown function, or with the wrong number of arguments."
        case .typeMismatch: "An expression mixes types, such as an amount compared with a string."
        case .unknownEnumValue: "A string compared with an enum field is not one of its values."
        case .unguardedNullable: "An invariant reads a nullable field without testing it for null, so it is not checked where the field is null."
        case .nullTestNotNullable: "An is null test of a field that is not nullable, which is never true."
        case .invalidContract: "The evm contract is not a valid address."
        case .invalidView: "A view call that does not parse, or that takes other arguments than the stream id."
        case .viewTypeMismatch: "A view whose return type cannot hold the field's type."
        case .invalidEvent: "An evm event whose signature does not parse, or whose id names no unsigned integer parameter."
        case .noRulesFiles: "A lint path holds no rules files."
        case .expiredAck: "An acknowledgement whose expires date has passed; it no longer applies."
        }
    }
}
