import Yams

/// Reads one YAML mapping of the rules file: reports unknown keys (with "did you mean"),
/// missing keys and wrongly shaped values, each at its own node.
struct MappingReader {
    let file: String
    let what: String
    let location: TextLocation
    private let sink: DiagnosticSink
    private var values: [String: Node] = [:]
    private(set) var keys: [Located<String>] = []

    /// Nil (after reporting) when `node` is not a mapping. `elsewhere` maps keys that belong
    /// to another kind of entry to a note saying where they do belong.
    /// `allowedSet`, when given, is `allowed` as a set: a long list (a rules file's columns) is
    /// then looked up by hash.
    init?(_ node: Node, what: String, allowed: [String]?, allowedSet: Set<String>? = nil, elsewhere: [String: String] = [:], file: String,
          sink: DiagnosticSink) {
        self.file = file
        self.what = what
        self.sink = sink
        location = PluginParameter.location(of: node, in: file)
        guard case .mapping(let mapping) = node else {
            sink.error(.wrongNodeKind, at: location, "\(what) must be a mapping of keys to values, not \(node.kindName)")
            return nil
        }
        for (keyNode, value) in mapping {
            let keyLocation = PluginParameter.location(of: keyNode, in: file)
            guard case .scalar(let scalar) = keyNode else {
                sink.error(.wrongNodeKind, at: keyLocation, "keys of \(what) must be names, not \(keyNode.kindName)")
                continue
            }
            let key = scalar.string
            if RulesDocument.isPlaceholder(key) { continue } // a duplicate key, already reported
            if let first = keys.first(where: { $0.value == key }) {
                // Yams tells `off` (a boolean) from `"off"` (a string); as names they are the same.
                sink.error(.duplicateKey, at: keyLocation, "'\(key)' is defined twice in \(what) (first at line \(first.location.line)); keep one")
                continue
            }
            if let allowed, !(allowedSet?.contains(key) ?? allowed.contains(key)) {
                if let note = elsewhere[key] {
                    sink.error(.unknownKey, at: keyLocation, "'\(key)' is not a key of \(what); \(note)")
                } else {
                    sink.error(.unknownKey, at: keyLocation, "unknown key '\(key)' in \(what)" + Suggestion.hintOrList(for: key, in: allowed))
                }
                continue
            }
            values[key] = value
            keys.append(Located(value: key, location: keyLocation))
        }
    }

    func node(_ key: String) -> Node? { values[key] }

    func location(ofKey key: String) -> TextLocation? { keys.first { $0.value == key }?.location }

    /// The node under a required key, reporting its absence.
    func required(_ key: String, hint: String) -> Node? {
        guard let node = values[key] else {
            sink.error(.missingKey, at: location, "\(what) is missing '\(key)'; \(hint)")
            return nil
        }
        return node
    }

    /// A non-empty scalar under `key`, if present.
    func scalar(_ key: String) -> Located<String>? {
        guard let node = values[key] else { return nil }
        return Self.scalar(node, what: "'\(key)' of \(what)", file: file, sink: sink)
    }

    /// A non-empty scalar under a required key.
    func requiredScalar(_ key: String, hint: String) -> Located<String>? {
        guard let node = required(key, hint: hint) else { return nil }
        return Self.scalar(node, what: "'\(key)' of \(what)", file: file, sink: sink)
    }

    static func scalar(_ node: Node, what: String, file: String, sink: DiagnosticSink) -> Located<String>? {
        let location = PluginParameter.location(of: node, in: file)
        guard case .scalar(let scalar) = node else {
            sink.error(.wrongNodeKind, at: location, "\(what) must be a single value, not \(node.kindName)")
            return nil
        }
        guard !scalar.string.isEmpty, node.null == nil else {
            sink.error(.invalidValue, at: location, "\(what) is empty; give it a value")
            return nil
        }
        return Located(value: scalar.string, location: location)
    }
}
