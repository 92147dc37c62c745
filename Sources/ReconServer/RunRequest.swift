import Foundation
import ReconSources

/// What a POST to the reconciliation route asks for: `{"dryRun": true|false, "shard": "I/N",
/// "incremental": true|false, "sample": PCT}` (each optional) or an empty body, and optionally `?dryRun=true|false`. Anything else is
/// refused with a one-line reason.
struct RunRequest: Equatable {
    var dryRun: Bool
    /// The part of the keys to check (`"shard": "I/N"`, as `run --shard`); nil: every key.
    var shard: Shard? = nil
    /// Check only what changed since the previous run (`run --incremental`), and `samplePercent` of the rest.
    var incremental = false
    var samplePercent: Double = 0

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
        let fromBody = try decode(body)
        if let fromQuery, let dryRun = fromBody?.dryRun, fromQuery != dryRun {
            throw Invalid("dryRun is \(dryRun) in the body but \(fromQuery) in the query")
        }
        return RunRequest(dryRun: fromBody?.dryRun ?? fromQuery ?? false, shard: fromBody?.shard, incremental: fromBody?.incremental ?? false,
                          samplePercent: fromBody?.sample ?? 0)
    }

    private struct Body: Decodable {
        static let members = ["dryRun", "shard", "incremental", "sample"]
        var dryRun: Bool?
        var shard: Shard?
        var incremental: Bool?
        var sample: Double?
        /// The members named, each once however often the body repeats it.
        var names: [String]

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            if let unknown = container.allKeys.first(where: { !Self.members.contains($0.stringValue) }) {
                throw Invalid("unknown field '\(unknown.stringValue.prefix(64))'; the body accepts only {\"dryRun\": true|false, \"shard\": \"I/N\", \"incremental\": true|false, \"sample\": PCT}")
            }
            names = container.allKeys.map(\.stringValue).sorted()
            do {
                dryRun = try container.decodeIfPresent(Bool.self, forKey: Key(stringValue: "dryRun"))
            } catch {
                throw Invalid("dryRun must be true or false")
            }
            let text: String?
            do {
                text = try container.decodeIfPresent(String.self, forKey: Key(stringValue: "shard"))
            } catch {
                throw Invalid("shard must be a string INDEX/COUNT, such as \"0/4\"")
            }
            do {
                incremental = try container.decodeIfPresent(Bool.self, forKey: Key(stringValue: "incremental"))
            } catch {
                throw Invalid("incremental must be true or false")
            }
            do {
                sample = try container.decodeIfPresent(Double.self, forKey: Key(stringValue: "sample"))
            } catch {
                throw Invalid("sample must be a number from 0 to 100")
            }
            if let sample {
                guard incremental == true else { throw Invalid("sample applies to an incremental run: add \"incremental\": true") }
                guard (0...100).contains(sample) else { throw Invalid("sample must be a number from 0 to 100, not \(sample)") }
            }
            do throws(Shard.Invalid) {
                shard = try text.map { text throws(Shard.Invalid) in try Shard(parsing: text) }
            } catch {
                throw Invalid("shard: \(error)")
            }
        }
    }

    private static func decode(_ body: Data) throws(Invalid) -> Body? {
        guard body.contains(where: { !$0.isJSONWhitespace }) else { return nil }
        do {
            let decoded = try JSONDecoder().decode(Body.self, from: body)
            // JSONDecoder keeps the last of a repeated member, so `{"dryRun":false,"dryRun":true}`
            // would start a real run. Decoded, the body is a flat object whose every member is
            // named `dryRun`, `shard`, `incremental` or `sample` (escapes spell only their letters)
            // and holds true, false, null, a number or a shard (`I/N`): no ':' can occur but one per member.
            guard body.count(where: { $0 == UInt8(ascii: ":") }) <= decoded.names.count else {
                throw Invalid("\(decoded.names.joined(separator: " or ")) is given more than once in the body")
            }
            return decoded
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
