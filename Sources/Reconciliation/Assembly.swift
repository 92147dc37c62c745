import ReconEngine
import ReconSources

/// The composition root: which plugins, sources, run stores and report formats this build of
/// streamrecon offers. `run`, `serve`, `runs`, `rules lint` and `plugins` all take one; a new
/// source or store is a module that registers itself here, in one line.
public struct Assembly: Sendable {
    public var plugins: PluginRegistry
    public var sources: SourceRegistry
    public var stores: StoreRegistry
    public var formats: [any ReportFormat.Type]

    public init(plugins: PluginRegistry = .builtIn, sources: SourceRegistry = .builtIn, stores: StoreRegistry = StoreRegistry(),
                formats: [any ReportFormat.Type] = ReportFormats.all) {
        self.plugins = plugins
        self.sources = sources
        self.stores = stores
        self.formats = formats
    }

    /// Compiles rules with this assembly's plugins.
    public var compiler: RulesCompiler { RulesCompiler(registry: plugins) }

    public func format(named identifier: String) -> (any ReportFormat.Type)? {
        formats.first { $0.identifier == identifier }
    }
}
