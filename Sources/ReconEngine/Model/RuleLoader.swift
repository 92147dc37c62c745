import Yams

/// Turns a rules file's node tree into a `RuleModel`, reporting every structural problem
/// and carrying on, so one lint run shows them all.
struct RuleLoader {
    let file: String
    let source: String
    let registry: PluginRegistry
    let sink: DiagnosticSink

    static let topKeys = ["version", "name", "description", "key", "db", "evm", "fields", "invariants"]
    static let fieldKeys = ["type", "db", "chain", "compare", "nullable", "severity", "description"]
    static let invariantKeys = ["on", "assert", "when", "severity", "description"]

    func load(_ root: Node) -> RuleModel {
        var model = RuleModel(file: file)
        guard let top = MappingReader(root, what: "the rules file", allowed: Self.topKeys, file: file, sink: sink) else { return model }
        if let version = top.requiredScalar("version", hint: "write 'version: 1'"), version.value != "1" {
            sink.error(.invalidValue, at: version.location, "rules version '\(version.value)' is not supported; this streamrecon reads 'version: 1'")
        }
        model.name = top.requiredScalar("name", hint: "name the rule set, such as 'name: payment-streams'")
        _ = top.scalar("description")
        if let keyNode = top.required("key", hint: "say how rows pair, such as 'key: { db: id, chain: id }'"),
           let key = MappingReader(keyNode, what: "'key'", allowed: ["db", "chain"], file: file, sink: sink) {
            model.keyLocation = top.location(ofKey: "key")
            if let db = key.node("db"), case .sequence(let columns) = db {
                model.keyDBColumnsLocation = PluginParameter.location(of: db, in: file)
                model.keyDBColumns = columns.compactMap { MappingReader.scalar($0, what: "a column of 'db' of 'key'", file: file, sink: sink) }
            } else {
                model.keyDB = key.requiredScalar("db", hint: "name the DB column that holds the stream id")
            }
            model.keyChain = key.requiredScalar("chain", hint: "name the on-chain field that holds the stream id")
            for column in model.keyDB.map({ [$0] }) ?? model.keyDBColumns ?? [] { Identifiers.checkSQL(column, what: "key column", sink: sink) }
        }
        if let dbNode = top.required("db", hint: "name the streams table, such as 'db: { table: streams }'"),
           let db = MappingReader(dbNode, what: "'db'", allowed: ["table", "schema", "updated_at"], file: file, sink: sink) {
            model.table = db.requiredScalar("table", hint: "name the streams table, such as 'table: streams'")
            if let table = model.table { Identifiers.checkSQL(table, what: "table", sink: sink) }
            model.schema = db.scalar("schema")
            if let schema = model.schema { Identifiers.checkSQL(schema, what: "schema", sink: sink) }
            model.updatedAt = db.scalar("updated_at")
            if let column = model.updatedAt { Identifiers.checkSQL(column, what: "updated_at column", sink: sink) }
        }
        if let evmNode = top.node("evm") {
            model.evm = loadEVM(evmNode)
        }
        checkKeyColumns(model)
        if let fieldsNode = top.required("fields", hint: "map at least one field, such as 'fields: { total_amount: { type: amount } }'"),
           let fields = MappingReader(fieldsNode, what: "'fields'", allowed: nil, file: file, sink: sink) {
            if fields.keys.isEmpty { sink.error(.missingKey, at: fields.location, "'fields' is empty; map at least one field") }
            model.fields = fields.keys.compactMap { loadField($0, node: fields.node($0.value)!) }
        }
        if let invariantsNode = top.node("invariants"),
           let invariants = MappingReader(invariantsNode, what: "'invariants'", allowed: nil, file: file, sink: sink) {
            model.invariants = invariants.keys.compactMap { loadInvariant($0, node: invariants.node($0.value)!) }
        }
        return model
    }

    /// With `evm.deployments`, `key.db` is two columns, the chain id's and the stream id's; else one.
    private func checkKeyColumns(_ model: RuleModel) {
        let example = "such as 'db: [chain_id, stream_id]'"
        if model.evm?.deployments != nil {
            if let column = model.keyDB {
                sink.error(.wrongNodeKind, at: column.location, "with 'evm.deployments', 'db' of 'key' is a list of two columns, the chain id's "
                    + "and the stream id's, \(example); not one column")
            } else if let columns = model.keyDBColumns, let location = model.keyDBColumnsLocation {
                if columns.count != 2 {
                    sink.error(.invalidValue, at: location, "'db' of 'key' lists \(columns.count) column\(columns.count == 1 ? "" : "s"); "
                        + "with 'evm.deployments' it is two, the chain id's and the stream id's, \(example)")
                } else if columns[0].value.lowercased() == columns[1].value.lowercased() {
                    sink.error(.duplicateValue, at: columns[1].location, "column '\(columns[1].value)' is listed twice in 'db' of 'key'; "
                        + "name the chain id's column and the stream id's, \(example)")
                }
            }
        } else if let location = model.keyDBColumnsLocation {
            sink.error(.wrongNodeKind, at: location, "'db' of 'key' is a list of columns only with 'evm.deployments' (the chain id's and the "
                + "stream id's); name the one column that holds the stream id, such as 'db: stream_id'")
        }
    }

    static func isQuoted(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.style == .singleQuoted || scalar.style == .doubleQuoted
    }

    func checkName(_ name: Located<String>, what: String) {
        if !Identifiers.isPlain(name.value) || Identifiers.keywords.contains(name.value) {
            sink.error(.invalidName, at: name.location,
                       "\(what) name '\(name.value)' must be a name expressions can use: letters, digits and '_', not a keyword")
        }
    }

    private func loadField(_ name: Located<String>, node: Node) -> FieldModel? {
        checkName(name, what: "field")
        let what = "field '\(name.value)'"
        let typeName = node.mapping?["type"]?.scalar?.string
        let ownKeys = typeName.flatMap { registry.valueType($0)?.parameterKeys } ?? []
        var elsewhere: [String: String] = [:]
        for type in registry.valueTypes {
            for key in type.parameterKeys where !ownKeys.contains(key) {
                elsewhere[key] = "it applies to fields of type '\(type.description.identifier)'"
            }
        }
        guard let field = MappingReader(node, what: what, allowed: Self.fieldKeys + ownKeys, elsewhere: elsewhere, file: file, sink: sink) else {
            return nil
        }
        _ = field.scalar("description")
        let type = field.requiredScalar("type", hint: "give its type, one of \(registry.valueTypeNames.joined(separator: ", "))")
        let db = field.scalar("db") ?? name
        Identifiers.checkSQL(db, what: "column", sink: sink)
        var parameters: [String: PluginParameter] = [:]
        for key in ownKeys { parameters[key] = field.node(key).map { PluginParameter(node: $0, file: file) } }
        return FieldModel(
            name: name,
            type: type,
            db: db,
            chain: field.scalar("chain") ?? name,
            chainQuoted: field.node("chain").map(Self.isQuoted) ?? false,
            comparators: field.node("compare").map { loadComparators($0, field: what) } ?? [],
            nullable: nullable(field),
            severity: severity(field),
            parameters: parameters
        )
    }

    private func loadComparators(_ node: Node, field: String) -> [ComparatorModel] {
        let location = PluginParameter.location(of: node, in: file)
        switch node {
        case .scalar:
            return MappingReader.scalar(node, what: "'compare' of \(field)", file: file, sink: sink).map { [ComparatorModel(name: $0)] } ?? []
        case .mapping(let mapping) where !mapping.isEmpty:
            // Several keys are several bounds (`{ tolerance: 5, tolerance_bps: 10 }`); the builder checks that they are.
            return mapping.compactMap { key, value in
                MappingReader.scalar(key, what: "the comparator of \(field)", file: file, sink: sink)
                    .map { ComparatorModel(name: $0, parameter: PluginParameter(node: value, file: file)) }
            }
        default:
            sink.error(.wrongNodeKind, at: location,
                       "'compare' of \(field) must name one comparator, such as 'compare: exact' or 'compare: { tolerance: 5 }'")
            return []
        }
    }

    private func nullable(_ reader: MappingReader) -> Bool {
        guard let node = reader.node("nullable") else { return false }
        let location = PluginParameter.location(of: node, in: file)
        guard case .scalar(let scalar) = node, let flag = ["true": true, "false": false][scalar.string] else {
            let shown = if case .scalar(let scalar) = node { "'\(scalar.string)'" } else { node.kindName }
            sink.error(.invalidValue, at: location, "'nullable' of \(reader.what) must be true or false, not \(shown)")
            return false
        }
        return flag
    }

    private func severity(_ reader: MappingReader) -> Severity {
        guard let text = reader.scalar("severity") else { return .critical }
        guard let severity = Severity(rawValue: text.value) else {
            let names = Severity.allCases.map(\.rawValue)
            sink.error(.invalidValue, at: text.location, "unknown severity '\(text.value)'" + Suggestion.hintOrList(for: text.value, in: names))
            return .critical
        }
        return severity
    }

    private func loadInvariant(_ name: Located<String>, node: Node) -> InvariantModel? {
        let what = "invariant '\(name.value)'"
        guard let invariant = MappingReader(node, what: what, allowed: Self.invariantKeys, file: file, sink: sink) else { return nil }
        _ = invariant.scalar("description")
        return InvariantModel(
            name: name,
            sides: invariant.node("on").map { sides($0, what: what) } ?? Side.allCases,
            assert: invariant.required("assert", hint: "write the condition that must hold, such as 'assert: released_amount <= total_amount'")
                .flatMap { expression($0, what: "'assert' of \(what)") },
            when: invariant.node("when").flatMap { expression($0, what: "'when' of \(what)") },
            severity: severity(invariant)
        )
    }

    private func sides(_ node: Node, what: String) -> [Side] {
        let items: [Node] = if case .sequence(let sequence) = node { Array(sequence) } else { [node] }
        var result: [Side] = []
        for item in items {
            guard let text = MappingReader.scalar(item, what: "'on' of \(what)", file: file, sink: sink) else { continue }
            guard let side = Side(rawValue: text.value) else {
                sink.error(.invalidValue, at: text.location, "unknown side '\(text.value)'" + Suggestion.hintOrList(for: text.value, in: ["db", "chain"]))
                continue
            }
            if result.contains(side) {
                sink.error(.duplicateValue, at: text.location, "side '\(side.rawValue)' is listed twice in 'on'")
            }
            result.append(side)
        }
        if items.isEmpty { sink.error(.invalidValue, at: PluginParameter.location(of: node, in: file), "'on' of \(what) is empty; list db, chain or both") }
        return result
    }

    private func expression(_ node: Node, what: String) -> ExpressionText? {
        guard let text = MappingReader.scalar(node, what: what, file: file, sink: sink), case .scalar(let scalar) = node else { return nil }
        return ExpressionText(text: text.value, file: file, source: source, mark: scalar.mark ?? node.mark!, style: scalar.style)
    }
}
