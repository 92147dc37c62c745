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
            slots[field.name.value] = .init(slot: slots.count, type: type, nullable: field.nullable)
            let view = model.evm == nil ? nil : compileView(field, type: type)
            if model.evm != nil, view == nil { continue }
            if let compiled = compileField(field, type: type, view: view) { fields.append(compiled) }
        }
        let invariants = model.invariants.compactMap { compileInvariant($0, slots: slots, broken: broken) }
        guard let name = model.name, let keyColumns = model.keyDB.map({ [$0.value] }) ?? model.keyDBColumns?.map(\.value), let keyChain = model.keyChain, let table = model.table,
              fields.count == model.fields.count, invariants.count == model.invariants.count
        else { return nil }
        var evm: EVMBinding?
        if let model = model.evm {
            let deployments = model.deployments ?? []
            // With deployments, the first one's contract and finality stand for the section's.
            guard let contract = model.contract ?? deployments.first?.contract, let finality = deployments.first?.finality ?? model.finality
            else { return nil }
            evm = EVMBinding(contract: contract, finality: finality, idPrefix: model.idPrefix, count: model.count,
                             batchSize: model.batchSize, multicall: model.multicall, events: model.events, deployments: deployments)
        }
        var ruleSet = CompiledRuleSet(name: name.value, file: model.file, table: table.value, schema: model.schema?.value, keyColumns: keyColumns,
                                      keyChainField: keyChain.value, keyLocation: model.keyLocation, fields: fields, invariants: invariants, evm: evm)
        ruleSet.updatedAtColumn = model.updatedAt?.value
        return ruleSet
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
        let models = field.comparators.isEmpty ? [ComparatorModel(name: Located(value: type.defaultComparator, location: typeLocation))] : field.comparators
        var compiled: [Comparator] = []
        for model in models {
            guard let plugin = registry.comparator(model.name.value) else {
                sink.error(.unknownComparator, at: model.name.location, "unknown comparator '\(model.name.value)'"
                    + Suggestion.hintOrList(for: model.name.value, in: registry.comparatorNames, listing: "comparators are"))
                continue
            }
            if models.count > 1, !Self.isBound(plugin) {
                let bounds = registry.comparators.filter(Self.isBound).map { $0.description.identifier }.joined(separator: ", ")
                sink.error(.invalidParameter, at: model.name.location,
                           "'compare' of field '\(field.name.value)' combines bounds only (\(bounds)), each passing on its own; '\(model.name.value)' is not one")
                continue
            }
            if let comparator = make(plugin, ComparatorContext(fieldName: field.name.value, fieldType: type, parameter: model.parameter,
                                                                location: model.name.location)) {
                compiled.append(comparator)
            }
        }
        guard compiled.count == models.count else { return nil }
        let comparator = compiled.count == 1 ? compiled[0] : Self.either(compiled)
        // Not `??`: through its generic operands the type's parser came back wrapped in a
        // reabstraction thunk, called for every on-chain value.
        var chainParser: ValueParser
        if let parser = comparator.chainParser { chainParser = parser } else { chainParser = type.chainParse }
        var dbParser = type.parse
        var matches = comparator.matches
        if field.nullable {
            (dbParser, chainParser) = (Self.nullable(dbParser), Self.nullable(chainParser))
            let compare = matches
            matches = { db, chain in
                switch (db, chain) {
                case (.null, .null): true
                case (.null, _), (_, .null): false
                default: compare(db, chain)
                }
            }
        }
        // Read through a view, the on-chain field is named after the view (as a snapshot of that chain names it).
        return CompiledRuleSet.Field(name: field.name.value, location: field.name.location, dbColumn: field.db.value,
                                     chainField: view?.name ?? field.chain.value, view: view, type: type, severity: field.severity,
                                     nullable: field.nullable, comparator: comparator, matches: matches, dbParser: dbParser, chainParser: chainParser)
    }

    private static func isBound(_ plugin: any ComparatorPlugin.Type) -> Bool { plugin.isBound }

    /// The plugin's comparator, or nil after reporting why it cannot be built.
    private func make(_ plugin: any ComparatorPlugin.Type, _ context: ComparatorContext) -> Comparator? {
        do {
            return try plugin.makeComparator(context)
        } catch {
            report(error, at: context.location)
            return nil
        }
    }

    /// Bounds that pass when either holds (`{ tolerance: 5, tolerance_bps: 10 }`); a failed pair
    /// names every bound it exceeded.
    static func either(_ comparators: [Comparator]) -> Comparator {
        let tests = comparators.map(\.matches)
        let bounds = comparators.compactMap(\.bound)
        let limits = comparators.compactMap(\.limit)
        var either = Comparator(
            summary: comparators.map(\.summary).joined(separator: " or "),
            bound: { db, chain in bounds.map { $0(db, chain) }.joined(separator: " and ") },
            matches: { db, chain in tests.contains { $0(db, chain) } }
        )
        // The larger allowance wins; one that does not fit 128 bits allows everything.
        either.limit = { db, chain in
            var largest: UInt128 = 0
            for limit in limits {
                guard let value = limit(db, chain) else { return nil }
                largest = max(largest, value)
            }
            return largest
        }
        return either
    }

    /// A parser that takes null as the value null and leaves every other value to `parser`.
    static func nullable(_ parser: @escaping ValueParser) -> ValueParser {
        { raw in
            if case .null = raw { return .success(.null) }
            return parser(raw)
        }
    }

    private func compileInvariant(_ invariant: InvariantModel, slots: [String: ExpressionCompiler.FieldSlot], broken: Set<String>) -> CompiledRuleSet.Invariant? {
        var compiler = ExpressionCompiler(fields: slots, registry: registry, broken: broken)
        var nullableReads: [(name: String, location: TextLocation)] = []
        func compile(_ expression: ExpressionText?) -> Predicate? {
            guard let expression else { return nil }
            compiler.beginExpression()
            defer {
                nullableReads += compiler.nullableReads.map { ($0.name, expression.location(ofOffset: $0.offset)) }
                for warning in compiler.warnings where warning.code != nil {
                    sink.warning(warning.code!, at: expression.location(ofOffset: warning.offset), warning.message)
                }
            }
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
        var warned: Set<String> = []
        for read in nullableReads where !compiler.nullTests.contains(read.name) && warned.insert(read.name).inserted {
            sink.warning(.unguardedNullable, at: read.location,
                         "invariant '\(invariant.name.value)' reads nullable field '\(read.name)' without testing it, so it is not checked where "
                         + "'\(read.name)' is null; add '\(read.name) is not null and …' (or 'when: \(read.name) is not null') to say so")
        }
        guard let assert, let expression = invariant.assert, invariant.when == nil || when != nil, !invariant.sides.isEmpty else { return nil }
        return CompiledRuleSet.Invariant(name: invariant.name.value, location: invariant.name.location, sides: invariant.sides,
                                         severity: invariant.severity, expression: expression.text, assert: assert, when: when,
                                         slots: compiler.referenced, unguarded: warned.sorted().compactMap { slots[$0]?.slot })
    }
}
