import Foundation

/// SARIF 2.1.0, the part of it that `rules lint` and `run` write: one log with one run, for
/// code-scanning tools (GitHub code scanning reads it). Absent optionals are left out.
public enum SARIF {
    public static let schemaURI = "https://json.schemastore.org/sarif-2.1.0.json"
    public static let toolName = "streamrecon"

    public enum Level: String, Sendable, Encodable {
        case error, warning, note, none
    }

    public struct Message: Sendable, Encodable {
        public var text: String
        public init(_ text: String) { self.text = text }
    }

    /// A rule results refer to by id (`run.tool.driver.rules[]`).
    public struct Rule: Sendable, Encodable {
        public struct Configuration: Sendable, Encodable {
            public var level: Level
        }

        public var id: String
        public var name: String?
        public var shortDescription: Message?
        public var defaultConfiguration: Configuration?

        public init(id: String, name: String? = nil, shortDescription: String? = nil, level: Level? = nil) {
            self.id = id
            self.name = name
            self.shortDescription = shortDescription.map(Message.init)
            defaultConfiguration = level.map(Configuration.init)
        }
    }

    /// A place in a file: 1-based line and column; without a line, the whole file.
    public struct Location: Sendable, Encodable {
        public struct Physical: Sendable, Encodable {
            public var artifactLocation: Artifact
            public var region: Region?
        }

        public struct Artifact: Sendable, Encodable {
            public var uri: String
        }

        public struct Region: Sendable, Encodable {
            public var startLine: Int
            public var startColumn: Int?
        }

        public var physicalLocation: Physical

        /// `file` as a URI reference, relative as given (`Rules/streams.yaml`); a line or column
        /// below 1 (unknown) is left out.
        public init(file: String, line: Int? = nil, column: Int? = nil) {
            let region = line.flatMap { $0 >= 1 ? Region(startLine: $0, startColumn: column.flatMap { $0 >= 1 ? $0 : nil }) : nil }
            physicalLocation = Physical(artifactLocation: Artifact(uri: Self.uri(file)), region: region)
        }

        public init(_ location: TextLocation) {
            self.init(file: location.file, line: location.line, column: location.column)
        }

        /// A path as a URI reference: its characters percent-encoded where a URI path cannot hold them.
        static func uri(_ path: String) -> String {
            var allowed = CharacterSet.urlPathAllowed
            allowed.remove(charactersIn: ";")
            return path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
        }
    }

    public struct Result<Properties: Encodable & Sendable>: Sendable, Encodable {
        public var ruleId: String
        /// The rule's index in `tool.driver.rules`.
        public var ruleIndex: Int?
        public var level: Level
        public var message: Message
        public var locations: [Location]?
        /// Stable identities of the result across runs, by scheme (`streamrecon/v1`): what code
        /// scanning uses to tell a new alert from one it already has.
        public var partialFingerprints: [String: String]?
        /// Against the previous run: `new` or `unchanged` (a persisting discrepancy).
        public var baselineState: String?
        /// An acknowledgement, as an accepted external suppression.
        public var suppressions: [Suppression]?
        public var properties: Properties?

        public init(ruleId: String, ruleIndex: Int?, level: Level, message: String, locations: [Location]?,
                    partialFingerprints: [String: String]? = nil, baselineState: String? = nil, suppressions: [Suppression]? = nil,
                    properties: Properties?) {
            self.baselineState = baselineState
            self.suppressions = suppressions
            self.ruleId = ruleId
            self.ruleIndex = ruleIndex
            self.level = level
            self.message = Message(message)
            self.locations = locations
            self.partialFingerprints = partialFingerprints
            self.properties = properties
        }
    }

    /// A result someone has accepted: streamrecon's acknowledgements, kept outside the rules file.
    public struct Suppression: Sendable, Encodable {
        public var kind = "external"
        public var status = "accepted"
        public var justification: String

        public init(justification: String) {
            self.justification = justification
        }
    }

    /// How the tool ran: whether it did all it set out to, and what went wrong.
    public struct Invocation: Sendable, Encodable {
        public struct Notification: Sendable, Encodable {
            public var level: Level
            public var message: Message
        }

        public var executionSuccessful: Bool
        public var toolExecutionNotifications: [Notification]?

        public init(executionSuccessful: Bool, error: String? = nil) {
            self.executionSuccessful = executionSuccessful
            toolExecutionNotifications = error.map { [Notification(level: .error, message: Message($0))] }
        }
    }

    /// One run of the tool, whose results carry properties of type `Properties`.
    public struct Run<Properties: Encodable & Sendable>: Sendable, Encodable {
        struct Tool: Sendable, Encodable {
            struct Driver: Sendable, Encodable {
                var name: String
                var rules: [Rule]
            }

            var driver: Driver
        }

        struct AutomationDetails: Sendable, Encodable {
            var id: String
        }

        var tool: Tool
        var invocations: [Invocation]
        /// Columns count Unicode scalars, as the rules file's positions do.
        var columnKind = "unicodeCodePoints"
        /// The kind of analysis (`rules-lint/`): code scanning keeps the alerts of each apart.
        var automationDetails: AutomationDetails
        var results: [Result<Properties>]
        var properties: [String: String]?

        /// `category` names the kind of analysis, so that code scanning keeps its alerts apart from
        /// another's: an upload closes only the alerts of its own category that it no longer has.
        public init(category: String, rules: [Rule], results: [Result<Properties>], invocation: Invocation, properties: [String: String]? = nil) {
            tool = Tool(driver: .init(name: SARIF.toolName, rules: rules))
            invocations = [invocation]
            automationDetails = AutomationDetails(id: category + "/")
            self.results = results
            self.properties = properties
        }
    }

    /// The log of one run, pretty-printed with sorted keys, ending in a newline.
    public static func log<Properties>(_ run: Run<Properties>) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Strings, integers, booleans and string dictionaries always encode.
        var data = (try? encoder.encode(Log(runs: [run]))) ?? Data()
        data.append(UInt8(ascii: "\n"))
        return data
    }

    struct Log<Properties: Encodable & Sendable>: Encodable {
        var schema = SARIF.schemaURI
        var version = "2.1.0"
        var runs: [Run<Properties>]

        enum CodingKeys: String, CodingKey {
            case schema = "$schema", version, runs
        }
    }
}
