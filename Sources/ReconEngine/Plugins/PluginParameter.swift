import Yams

/// A plugin's parameter node from the rules file, with readers that report problems at
/// the exact node.
public struct PluginParameter {
    let node: Node
    let file: String

    init(node: Node, file: String) {
        self.node = node
        self.file = file
    }

    public var location: TextLocation { Self.location(of: node, in: file) }

    static func location(of node: Node, in file: String) -> TextLocation {
        let mark = node.mark
        return TextLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    /// The parameter as a plain string scalar.
    public func string(_ what: String) throws(PluginError) -> String {
        guard case .scalar(let scalar) = node else {
            throw PluginError(.invalidParameter, "\(what) must be a single value, not \(node.kindName)", at: location)
        }
        guard node.null == nil else { throw PluginError(.invalidParameter, "\(what) must be a value, not null", at: location) }
        return scalar.string
    }

    /// The parameter as a decimal integer in `range`.
    public func integer(_ what: String, in range: ClosedRange<Int128>) throws(PluginError) -> Int128 {
        let text = try string(what)
        switch AmountParsing.parse(text) {
        case .success(let value) where range.contains(value):
            return value
        case .success:
            let bounds = range.upperBound == .max ? "\(range.lowerBound) or more" : "from \(range.lowerBound) to \(range.upperBound)"
            throw PluginError(.invalidParameter, "\(what) must be \(bounds), not \(text)", at: location)
        case .failure:
            throw PluginError(.invalidParameter, "\(what) must be a whole number, not '\(text)'", at: location)
        }
    }

    /// The parameter as a mapping whose keys are among `allowed` (an unknown key is an error with a
    /// "did you mean"), each value a parameter of its own, in file order.
    public func mapping(_ what: String, allowed: [String], example: String) throws(PluginError) -> [(key: String, value: PluginParameter)] {
        guard case .mapping(let mapping) = node else {
            throw PluginError(.invalidParameter, "\(what) must be a mapping such as \(example), not \(node.kindName)", at: location)
        }
        var entries: [(String, PluginParameter)] = []
        var problems: [PluginError.Problem] = []
        for (key, value) in mapping {
            let keyParameter = PluginParameter(node: key, file: file)
            let name = try keyParameter.string("each key of \(what)")
            guard allowed.contains(name) else {
                problems.append(.init(code: .unknownKey, message: "unknown key '\(name)' in \(what)" + Suggestion.hintOrList(for: name, in: allowed),
                                      location: keyParameter.location))
                continue
            }
            entries.append((name, PluginParameter(node: value, file: file)))
        }
        if entries.isEmpty, problems.isEmpty {
            problems.append(.init(code: .invalidParameter, message: "\(what) is empty; write it as \(example)", location: location))
        }
        guard problems.isEmpty else { throw PluginError(problems: problems) }
        return entries
    }

    /// The parameter as a list of string scalars, each with its location.
    public func stringList(_ what: String) throws(PluginError) -> [(value: String, location: TextLocation)] {
        guard case .sequence(let sequence) = node else {
            throw PluginError(.invalidParameter, "\(what) must be a list such as [a, b], not \(node.kindName)", at: location)
        }
        var items: [(String, TextLocation)] = []
        for item in sequence {
            let parameter = PluginParameter(node: item, file: file)
            items.append((try parameter.string("each entry of \(what)"), parameter.location))
        }
        return items
    }

    /// The parameter as a mapping of string scalars to string scalars, with locations.
    public func stringMap(_ what: String) throws(PluginError) -> [(key: String, keyLocation: TextLocation, value: String, location: TextLocation)] {
        guard case .mapping(let mapping) = node else {
            throw PluginError(.invalidParameter, "\(what) must be a mapping such as { \"0\": pending }, not \(node.kindName)", at: location)
        }
        var pairs: [(String, TextLocation, String, TextLocation)] = []
        for (key, value) in mapping {
            let keyParameter = PluginParameter(node: key, file: file)
            let keyText = try keyParameter.string("each key of \(what)")
            let valueParameter = PluginParameter(node: value, file: file)
            pairs.append((keyText, keyParameter.location, try valueParameter.string("each value of \(what)"), valueParameter.location))
        }
        return pairs
    }
}

extension Node {
    /// "a mapping", "a list", "a scalar": for messages.
    var kindName: String {
        switch self {
        case .scalar: "a single value"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }
}
