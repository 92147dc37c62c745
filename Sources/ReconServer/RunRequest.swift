import Foundation

/// What a POST to the reconciliation route asks for: `{"dryRun": true|false}` or an empty body,
/// and optionally `?dryRun=true|false`. Anything else is refused with a one-line reason.
struct RunRequest: Equatable {
    var dryRun: Bool

    struct Invalid: Error, Equatable, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static func parse(body: Data, query: [(key: String, value: String)]) throws(Invalid) -> RunRequest {
        var fromQuery: Bool?
        for (key, value) in query {
            guard key == "dryRun" else { throw Invalid("unknown query parameter '\(key.prefix(64))'; only dryRun is accepted") }
            guard fromQuery == nil else { throw Invalid("dryRun is given more than once in the query") }
            switch value {
            case "true": fromQuery = true
            case "false": fromQuery = false
            default: throw Invalid("the dryRun query parameter must be true or false")
            }
        }
        let fromBody = try bodyDryRun(body)
        if let fromQuery, let fromBody, fromQuery != fromBody {
            throw Invalid("dryRun is \(fromBody) in the body but \(fromQuery) in the query")
        }
        return RunRequest(dryRun: fromBody ?? fromQuery ?? false)
    }

    private struct Body: Decodable {
        var dryRun: Bool?

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            if let unknown = container.allKeys.first(where: { $0.stringValue != "dryRun" }) {
                throw Invalid("unknown field '\(unknown.stringValue.prefix(64))'; the body accepts only {\"dryRun\": true|false}")
            }
            do {
                dryRun = try container.decodeIfPresent(Bool.self, forKey: Key(stringValue: "dryRun"))
            } catch {
                throw Invalid("dryRun must be true or false")
            }
        }
    }

    private static func bodyDryRun(_ body: Data) throws(Invalid) -> Bool? {
        guard body.contains(where: { !$0.isJSONWhitespace }) else { return nil }
        do {
            let dryRun = try JSONDecoder().decode(Body.self, from: body).dryRun
            // JSONDecoder keeps the last of a repeated member, so `{"dryRun":false,"dryRun":true}`
            // would start a real run. Decoded, the body is a flat object whose every member is
            // named `dryRun` (escapes spell only its letters) and holds true, false or null: no
            // ':' can occur but one per member.
            guard body.count(where: { $0 == UInt8(ascii: ":") }) <= 1 else { throw Invalid("dryRun is given more than once in the body") }
            return dryRun
        } catch let invalid as Invalid {
            throw invalid
        } catch DecodingError.typeMismatch {
            throw Invalid("the body must be a JSON object, such as {\"dryRun\": true}")
        } catch {
            throw Invalid("the body is not valid JSON")
        }
    }
}

private extension UInt8 {
    var isJSONWhitespace: Bool { self == 0x20 || self == 0x0A || self == 0x0D || self == 0x09 }
}
