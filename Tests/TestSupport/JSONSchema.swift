import Foundation

/// A JSON value as decoded, telling integers, other numbers and booleans apart.
public indirect enum JSONValue: Decodable, Hashable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public init(json: Data) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: json)
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public subscript(index: Int) -> JSONValue? {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }

    public var string: String? { if case .string(let value) = self { value } else { nil } }
    public var integer: Int64? { if case .integer(let value) = self { value } else { nil } }
    public var array: [JSONValue]? { if case .array(let value) = self { value } else { nil } }
}

/// Validates JSON against a JSON Schema draft 4, the keywords the SARIF 2.1.0 schema uses:
/// `$ref` (to `#/definitions/…`), `type`, `enum`, `properties`, `additionalProperties`,
/// `required`, `items`, `minItems`, `uniqueItems`, `minimum`, `maximum`, `pattern`, `anyOf`,
/// `oneOf`. `format` is not checked (as validators do by default); `default` is not applied.
public struct JSONSchema {
    let root: JSONValue

    public init(json: Data) throws {
        root = try JSONValue(json: json)
    }

    /// The SARIF 2.1.0 schema (OASIS, errata 01) kept in Tests/SARIF.
    public static func sarif() throws -> JSONSchema {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../SARIF/sarif-schema-2.1.0.json")
        return try JSONSchema(json: try Data(contentsOf: path))
    }

    /// Every violation, each with the JSON path where it is; empty when the value is valid.
    public func violations(of value: JSONValue) -> [String] {
        var found: [String] = []
        check(value, against: root, at: "$", into: &found)
        return found
    }

    private func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: JSONValue? = root
        for part in reference.dropFirst(2).split(separator: "/") { node = node?[String(part)] }
        return node
    }

    private func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("integer", .integer), ("number", .integer), ("number", .number),
             ("string", .string), ("array", .array), ("object", .object): true
        default: false
        }
    }

    private func number(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let integer): Double(integer)
        case .number(let number): number
        default: nil
        }
    }

    private func check(_ value: JSONValue, against schema: JSONValue, at path: String, into found: inout [String]) {
        if let reference = schema["$ref"]?.string {
            guard let target = resolve(reference) else { return found.append("\(path): unresolvable $ref \(reference)") }
            return check(value, against: target, at: path, into: &found)
        }
        if let type = schema["type"] {
            let types = type.array?.compactMap(\.string) ?? [type.string].compactMap { $0 }
            if !types.contains(where: { matches(value, type: $0) }) { found.append("\(path): not of type \(types.joined(separator: " or "))") }
        }
        if let options = schema["enum"]?.array, !options.contains(value) { found.append("\(path): not one of the enum's values") }
        if let minimum = schema["minimum"].flatMap(number), let actual = number(value), actual < minimum { found.append("\(path): below \(minimum)") }
        if let maximum = schema["maximum"].flatMap(number), let actual = number(value), actual > maximum { found.append("\(path): above \(maximum)") }
        if let pattern = schema["pattern"]?.string, let text = value.string {
            if let regex = try? NSRegularExpression(pattern: pattern),
               regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                found.append("\(path): does not match \(pattern)")
            }
        }
        if let anyOf = schema["anyOf"]?.array, !anyOf.contains(where: { passes(value, $0, at: path) }) {
            found.append("\(path): matches none of anyOf")
        }
        if let oneOf = schema["oneOf"]?.array, oneOf.count(where: { passes(value, $0, at: path) }) != 1 {
            found.append("\(path): does not match exactly one of oneOf")
        }
        if case .array(let items) = value {
            if let minItems = schema["minItems"]?.integer, items.count < minItems { found.append("\(path): fewer than \(minItems) items") }
            if schema["uniqueItems"] == .bool(true), Set(items).count != items.count {
                found.append("\(path): items are not unique")
            }
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() { check(item, against: itemSchema, at: "\(path)[\(index)]", into: &found) }
            }
        }
        if case .object(let members) = value {
            for key in schema["required"]?.array?.compactMap(\.string) ?? [] where members[key] == nil {
                found.append("\(path): missing required '\(key)'")
            }
            let properties = schema["properties"]
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                if let propertySchema = properties?[key] {
                    check(member, against: propertySchema, at: "\(path).\(key)", into: &found)
                } else if let additional = schema["additionalProperties"] {
                    if additional == .bool(false) {
                        found.append("\(path): unexpected member '\(key)'")
                    } else if case .object = additional {
                        check(member, against: additional, at: "\(path).\(key)", into: &found)
                    }
                }
            }
        }
    }

    private func passes(_ value: JSONValue, _ schema: JSONValue, at path: String) -> Bool {
        var found: [String] = []
        check(value, against: schema, at: path, into: &found)
        return found.isEmpty
    }
}
