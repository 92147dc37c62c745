import ReconChain

/// Builds the typed closures of a rule set from a `RuleModel` through the plugin registry.
struct RuleSetBuilder {
    let registry: PluginRegistry
    let sink: DiagnosticSink

    func build(_ model: RuleModel) -> CompiledRuleSet? {
        var fields: [CompiledRuleSet.Field] = []
        var slots: [String: ExpressionCompiler.FieldSlot] = [:]
        var broken: Set<String> = []
        for field in model.fields {
            guard let type = compileType(field) else {
                broken.insert(field.name.value)
                continue
            }
            slots[field.name.value] = .init(slot: slots.count, type: type)
            let view = model.evm == nil ? nil : compileView(field, type: type)
            if model.evm != nil, view == nil { continue }
            if let compiled = compileField(field, type: type, view: view) { fields.append(compiled) }
        }
        let invariants = model.invariants.compactMap { compileInvariant($0, slots: slots, broken: broken) }
        guard let name = model.name, let keyDB = model.keyDB, let keyChain = model.keyChain, let table = model.table,
              fields.count == model.fields.count, invariants.count == model.invariants.count
        else { return nil }
        var evm: EVMBinding?
        if let model = model.evm {
            guard let contract = model.contract, let confirmations = model.confirmations else { return nil }
            evm = EVMBinding(contract: contract, confirmations: confirmations, idPrefix: model.idPrefix, count: model.count,
                             batchSize: model.batchSize, multicall: model.multicall)
        }
        return CompiledRuleSet(name: name.value, file: model.file, table: table.value, schema: model.schema?.value, keyColumn: keyDB.value,
                               keyChainField: keyChain.value, fields: fields, invariants: invariants, evm: evm)
    }

    private func report(_ error: PluginError, at location: TextLocation) {
        for problem in error.problems { sink.error(problem.code, at: problem.location ?? location, problem.message) }
    }

    private func compileType(_ field: FieldModel) -> FieldType? {
        guard let typeName = field.type else { return nil }
        guard let plugin = registry.valueType(typeName.value) else {
            sink.error(.unknownType, at: typeName.location, "unknown type '\(typeName.value)'"
                + Suggestion.hintOrList(for: typeName.value, in: registry.valueTypeNames, listing: "types are"))
            return nil
        }
        do {
            return try plugin.makeType(ValueTypeContext(fieldName: field.name.value, parameters: field.parameters, location: typeName.location))
        } catch {
            report(error, at: typeName.location)
            return nil
        }
    }

    private func compileField(_ field: FieldModel, type: FieldType, view: ViewSignature?) -> CompiledRuleSet.Field? {
        let typeLocation = field.type?.location ?? field.name.location
        let comparatorName = field.comparator?.name ?? Located(value: type.defaultComparator, location: typeLocation)
        guard let comparatorPlugin = registry.comparator(comparatorName.value) else {
            sink.error(.unknownComparator, at: comparatorName.location, "unknown comparator '\(comparatorName.value)'"
                + Suggestion.hintOrList(for: comparatorName.value, in: registry.comparatorNames, listing: "comparators are"))
            return nil
        }
        let comparator: Comparator
        do {
            comparator = try comparatorPlugin.makeComparator(ComparatorContext(
                fieldName: field.name.value, fieldType: type, parameter: field.comparator?.parameter, location: comparatorName.location))
        } catch {
            report(error, at: comparatorName.location)
            return nil
        }
        // Not `??`: through its generic operands the type's parser came back wrapped in a
        // reabstraction thunk, called for every on-chain value.
        let chainParser: ValueParser
        if let parser = comparator.chainParser { chainParser = parser } else { chainParser = type.parse }
        // Read through a view, the on-chain field is named after the view (as a snapshot of that chain names it).
        return CompiledRuleSet.Field(name: field.name.value, dbColumn: field.db.value, chainField: view?.name ?? field.chain.value,
                                     view: view, type: type, severity: field.severity, comparator: comparator, chainParser: chainParser)
    }

    private func compileInvariant(_ invariant: InvariantModel, slots: [String: ExpressionCompiler.FieldSlot], broken: Set<String>) -> CompiledRuleSet.Invariant? {
        var compiler = ExpressionCompiler(fields: slots, registry: registry, broken: broken)
        func compile(_ expression: ExpressionText?) -> Predicate? {
            guard let expression else { return nil }
            do {
                return try compiler.compilePredicate(expression.text)
            } catch {
                if let code = error.code {
                    sink.error(code, at: expression.location(ofOffset: error.offset), error.message)
                }
                return nil
            }
        }
        let assert = compile(invariant.assert)
        let when = compile(invariant.when)
        guard let assert, let expression = invariant.assert, invariant.when == nil || when != nil, !invariant.sides.isEmpty else { return nil }
        return CompiledRuleSet.Invariant(name: invariant.name.value, sides: invariant.sides, severity: invariant.severity,
                                         expression: expression.text, assert: assert, when: when, slots: compiler.referenced)
    }
}
