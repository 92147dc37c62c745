import ArgumentParser
import Foundation
import ReconEngine
import Reconciliation

extension StreamRecon {
    struct Plugins: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the value types, comparators and functions rules files can use.")

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case text, json
        }

        @Option(help: "Output format: text or json.")
        var format: Format = .text

        func run() async throws {
            let listing = PluginListing(registry: StreamRecon.assembly.plugins)
            try Terminal.write(format == .json ? listing.json() : listing.text())
        }
    }
}

/// The registry's plugins by kind, each with its identifier and summary.
struct PluginListing {
    struct Entry: Encodable {
        var identifier: String
        var summary: String
    }

    var groups: [(kind: String, entries: [Entry])]

    init(registry: PluginRegistry) {
        groups = [
            ("valueTypes", registry.valueTypes.map { Entry(identifier: $0.description.identifier, summary: $0.description.summary) }),
            ("comparators", registry.comparators.map { Entry(identifier: $0.description.identifier, summary: $0.description.summary) }),
            ("functions", registry.functions.map { Entry(identifier: $0.description.identifier, summary: $0.description.summary) }),
        ]
    }

    func text() -> String {
        let titles = ["valueTypes": "Value types (type:)", "comparators": "Comparators (compare:)", "functions": "Functions (in assert and when)"]
        let width = groups.flatMap(\.entries).map(\.identifier.count).max() ?? 0
        return groups.map { group in
            ([titles[group.kind] ?? group.kind] + group.entries.map {
                "  " + $0.identifier.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.summary
            }).joined(separator: "\n")
        }.joined(separator: "\n\n") + "\n"
    }

    func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let object = Dictionary(uniqueKeysWithValues: groups.map { ($0.kind, $0.entries) })
        return String(decoding: (try? encoder.encode(object)) ?? Data(), as: UTF8.self) + "\n"
    }
}
