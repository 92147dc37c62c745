import Foundation
import Yams

/// Reads a rules file from disk and parses its YAML into a node tree, turning every problem
/// into a diagnostic.
enum RulesDocument {
    /// Rules files above this size are refused: a real one is a few kilobytes.
    static let maxBytes = 1 << 20

    static func read(path: String, sink: DiagnosticSink) -> String? {
        let start = TextLocation(file: path, line: 1, column: 1)
        let url = URL(fileURLWithPath: path)
        let size: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch {
            sink.error(.unreadableFile, at: start, "cannot read rules file: \(FileManager.default.fileExists(atPath: path) ? "permission denied or not a regular file" : "no such file")")
            return nil
        }
        guard size <= maxBytes else {
            sink.error(.fileTooLarge, at: start, "rules file is \(size) bytes; the limit is \(maxBytes) bytes (1 MiB)")
            return nil
        }
        guard let data = try? Data(contentsOf: url) else {
            sink.error(.unreadableFile, at: start, "cannot read rules file")
            return nil
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            sink.error(.notText, at: start, "rules file is not UTF-8 text")
            return nil
        }
        return text
    }

    static func parse(_ text: String, file: String, sink: DiagnosticSink) -> Node? {
        let start = TextLocation(file: file, line: 1, column: 1)
        if text.unicodeScalars.contains("\0") {
            sink.error(.notText, at: start, "rules file contains NUL bytes; it is not a text file")
            return nil
        }
        if let alias = AliasGuard.firstAlias(in: text) {
            sink.error(.aliasNotSupported, at: TextLocation(file: file, line: alias.line, column: alias.column),
                       "'*\(alias.name)' is a YAML alias; rules files may not use aliases: write the value out (quote text that starts with '*')")
            return nil
        }
        do {
            guard let node = try Yams.compose(yaml: text) else {
                sink.error(.emptyFile, at: start, "rules file is empty; it needs at least 'version: 1', 'name', 'key', 'db' and 'fields'")
                return nil
            }
            return node
        } catch let error as YamlError {
            report(error, text: text, file: file, sink: sink)
        } catch {
            sink.error(.yamlSyntax, at: start, "cannot parse YAML: \(error)")
        }
        return nil
    }

    private static func report(_ error: YamlError, text: String, file: String, sink: DiagnosticSink) {
        func at(_ mark: Mark) -> TextLocation { TextLocation(file: file, line: mark.line, column: mark.column) }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            var message = problem
            if problem.hasPrefix("Maximum nesting level") {
                message = "YAML is nested more than 1000 levels deep; a rules file needs four"
            } else if let context {
                let place = "\(context.text) at line \(context.mark.line), column \(context.mark.column)"
                message = problem.hasPrefix("but ") ? "\(place), \(problem)" : "\(problem) (\(place))"
            }
            if character(in: text, at: mark) == "\t" { message += "; indent with spaces, not tabs" }
            sink.error(.yamlSyntax, at: at(mark), message)
        case .duplicatedKeysInMapping(let duplicates, let context):
            for key in duplicates {
                let first = context.mark
                let second = secondOccurrence(of: key, after: first, in: text) ?? (first.line, first.column)
                sink.error(.duplicateKey, at: TextLocation(file: file, line: second.line, column: second.column),
                           "'\(key)' is defined twice in one mapping (first at line \(first.line)); keep one")
            }
        case .reader(let problem, let offset, _, _):
            let prefix = text.utf8.prefix(offset ?? 0)
            let line = prefix.count(where: { $0 == UInt8(ascii: "\n") }) + 1
            let column = (String(decoding: prefix, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).last?.unicodeScalars.count ?? 0) + 1
            sink.error(.notText, at: TextLocation(file: file, line: line, column: column), "cannot read the text: \(problem)")
        default:
            sink.error(.yamlSyntax, at: TextLocation(file: file, line: 1, column: 1), "cannot parse YAML: \(error)")
        }
    }

    private static func character(in text: String, at mark: Mark) -> Unicode.Scalar? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        let scalars = Array(lines[mark.line - 1].unicodeScalars)
        let index = mark.column - 1
        if index >= 0, index < scalars.count { return scalars[index] }
        return scalars.first(where: { $0 == "\t" }) // libyaml may point past the offending tab
    }

    /// Where a block-mapping key written at `first` appears again at the same indentation.
    private static func secondOccurrence(of key: String, after first: Mark, in text: String) -> (line: Int, column: Int)? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let indent = first.column - 1
        var lineIndex = first.line
        while lineIndex < lines.count {
            let scalars = Array(lines[lineIndex].unicodeScalars)
            let leading = scalars.prefix(while: { $0 == " " }).count
            if leading < indent, !(scalars.allSatisfy { $0 == " " } || scalars.dropFirst(leading).first == "#") { return nil }
            if leading == indent {
                let rest = String(String.UnicodeScalarView(scalars.dropFirst(indent)))
                for candidate in [key, "\"\(key)\"", "'\(key)'"] where rest.hasPrefix(candidate) {
                    let after = rest.dropFirst(candidate.count).drop(while: { $0 == " " })
                    if after.first == ":" { return (lineIndex + 1, indent + 1) }
                }
            }
            lineIndex += 1
        }
        return nil
    }
}
