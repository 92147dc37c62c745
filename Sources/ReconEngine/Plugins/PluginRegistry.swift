/// The plugins a rules file may name: an immutable value, built once and passed in.
public struct PluginRegistry: Sendable {
    public private(set) var valueTypes: [any ValueTypePlugin.Type]
    public private(set) var comparators: [any ComparatorPlugin.Type]
    public private(set) var functions: [any FunctionPlugin.Type]

    private var valueTypesByName: [String: any ValueTypePlugin.Type]
    private var comparatorsByName: [String: any ComparatorPlugin.Type]
    private var functionsByName: [String: any FunctionPlugin.Type]

    /// Throws when two plugins of one kind share an identifier.
    public init(
        valueTypes: [any ValueTypePlugin.Type],
        comparators: [any ComparatorPlugin.Type],
        functions: [any FunctionPlugin.Type]
    ) throws(PluginRegistryError) {
        self.valueTypes = valueTypes
        self.comparators = comparators
        self.functions = functions
        valueTypesByName = try Self.index(valueTypes, kind: "value type") { $0.description.identifier }
        comparatorsByName = try Self.index(comparators, kind: "comparator") { $0.description.identifier }
        functionsByName = try Self.index(functions, kind: "function") { $0.description.identifier }
    }

    /// The plugins that ship with streamrecon.
    public static let builtIn: PluginRegistry = {
        do {
            return try PluginRegistry(
                valueTypes: BuiltInPlugins.valueTypes,
                comparators: BuiltInPlugins.comparators,
                functions: BuiltInPlugins.functions
            )
        } catch {
            preconditionFailure("built-in plugins: \(error)")
        }
    }()

    /// A registry with one more comparator.
    public func registering(_ comparator: any ComparatorPlugin.Type) throws(PluginRegistryError) -> PluginRegistry {
        try PluginRegistry(valueTypes: valueTypes, comparators: comparators + [comparator], functions: functions)
    }

    /// A registry with one more value type.
    public func registering(_ valueType: any ValueTypePlugin.Type) throws(PluginRegistryError) -> PluginRegistry {
        try PluginRegistry(valueTypes: valueTypes + [valueType], comparators: comparators, functions: functions)
    }

    /// A registry with one more function.
    public func registering(_ function: any FunctionPlugin.Type) throws(PluginRegistryError) -> PluginRegistry {
        try PluginRegistry(valueTypes: valueTypes, comparators: comparators, functions: functions + [function])
    }

    public func valueType(_ identifier: String) -> (any ValueTypePlugin.Type)? { valueTypesByName[identifier] }
    public func comparator(_ identifier: String) -> (any ComparatorPlugin.Type)? { comparatorsByName[identifier] }
    public func function(_ identifier: String) -> (any FunctionPlugin.Type)? { functionsByName[identifier] }

    var valueTypeNames: [String] { valueTypes.map { $0.description.identifier } }
    var comparatorNames: [String] { comparators.map { $0.description.identifier } }
    var functionNames: [String] { functions.map { $0.description.identifier } }

    private static func index<Plugin>(
        _ plugins: [Plugin], kind: String, identifier: (Plugin) -> String
    ) throws(PluginRegistryError) -> [String: Plugin] {
        var result: [String: Plugin] = [:]
        for plugin in plugins {
            let name = identifier(plugin)
            guard result.updateValue(plugin, forKey: name) == nil else {
                throw PluginRegistryError.duplicateIdentifier(kind: kind, identifier: name)
            }
        }
        return result
    }
}

public enum PluginRegistryError: Error, Equatable, CustomStringConvertible {
    case duplicateIdentifier(kind: String, identifier: String)

    public var description: String {
        switch self {
        case .duplicateIdentifier(let kind, let identifier): "two \(kind) plugins are named '\(identifier)'"
        }
    }
}
