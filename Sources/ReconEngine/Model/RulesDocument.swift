import Foundation
import Yams

/// Reads a rules file from disk and parses its YAML into a node tree, turning every problem
/// into a diagnostic.
enum RulesDocument {
    /// Rules files above this size are refused: a real one is a few kilobytes.
    static let maxBytes = 1 << 20

    /// `what` names the file in messages ("rules file", "test file").
    static func read(path: String, sink: DiagnosticSink, what: String = "rules file") -> String? {
        let start = TextLocation(file: path, line: 1, column: 1)
        let url = URL(fileURLWithPath: path)
        let size: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch {
            sink.error(.unreadableFile, at: start, "cannot read \(what): \(FileManager.default.fileExists(atPath: path) ? "permission denied or not a regular file" : "no such file")")
            return nil
        }
        guard size <= maxBytes else {
            sink.error(.fileTooLarge, at: start, "\(what) is \(size) bytes; the limit is \(maxBytes) bytes (1 MiB)")
            return nil
        }
        guard let data = try? Data(contentsOf: url) else {
            sink.error(.unreadableFile, at: start, "cannot read \(what)")
            return nil
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            sink.error(.notText, at: start, "\(what) is not UTF-8 text")
            return nil
        }
        return text
    }

    /// The text as libyaml sees it: no byte-order mark, `\n` line breaks (CRLF and CR become
    /// LF, which keeps libyaml's line and column numbers).
    static func normalized(_ text: String) -> String {
        var scalars = Substring(text).unicodeScalars
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        guard scalars.contains("\r") else { return String(scalars) }
        var result = String.UnicodeScalarView()
        var iterator = scalars.makeIterator()
        var pending = iterator.next()
        while let c = pending {
            pending = iterator.next()
            if c == "\r" {
                result.append("\n")
                if pending == "\n" { pending = iterator.next() }
            } else {
                result.append(c)
            }
        }
        return String(result)
    }

    /// Private-use characters that stand in for a duplicate key (a different one for each key
    /// masked), so the file can be parsed again and the rest of it checked; the loader skips them.
    static let placeholders: ClosedRange<UInt32> = 0xE000...0xE0FF

    static func isPlaceholder(_ key: String) -> Bool {
        !key.isEmpty && key.unicodeScalars.allSatisfy { placeholders.contains($0.value) }
    }

    /// Parses `text` (normalized). A duplicate key is reported and masked, and the text parsed
    /// again, so one lint run still reports every other problem. Returns the node tree and the
    /// text it was parsed from.
    static func parse(_ text: String, file: String, sink: DiagnosticSink, what: String = "rules file",
                      needs: String = "at least 'version: 1', 'name', 'key', 'db' and 'fields'") -> (node: Node, text: String)? {
        let start = TextLocation(file: file, line: 1, column: 1)
        if text.unicodeScalars.contains("\0") {
            sink.error(.notText, at: start, "\(what) contains NUL bytes; it is not a text file")
            return nil
        }
        if let anchor = AnchorGuard.firstAnchor(in: text) {
            sink.error(.anchorNotSupported, at: TextLocation(file: file, line: anchor.line, column: anchor.column),
                       "'&\(anchor.name)' starts a YAML anchor; rules files may not use anchors or aliases, which can expand exponentially: "
                           + "write the values out (in text, reword so no '&' starts a word)"
                           + (anchor.name.hasPrefix("&") ? "; in an expression, write 'and' for '&&'" : ""))
            return nil
        }
        var text = text
        for attempt in 0..<100 {
            do {
                guard let node = try Yams.compose(yaml: text) else {
                    sink.error(.emptyFile, at: start, "\(what) is empty; it needs \(needs)")
                    return nil
                }
                return (node, text)
            } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
                let mask = Unicode.Scalar(placeholders.lowerBound + UInt32(attempt))!
                guard let key = duplicates.first, let masked = maskDuplicate(key, first: context.mark, with: mask, in: text, file: file, sink: sink) else {
                    return nil
                }
                text = masked
            } catch let error as YamlError {
                report(error, text: text, file: file, sink: sink)
                return nil
            } catch {
                sink.error(.yamlSyntax, at: start, "cannot parse YAML: \(error)")
                return nil
            }
        }
        return nil
    }

    /// Reports the second occurrence of a duplicate key and returns the text with it masked,
    /// or nil (after reporting at the first occurrence) when it cannot be found.
    private static func maskDuplicate(
        _ key: String, first: Mark, with mask: Unicode.Scalar, in text: String, file: String, sink: DiagnosticSink
    ) -> String? {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        let message = "'\(key)' is defined twice in one mapping (first at line \(first.line)); keep one"
        guard let (line, column, length) = secondOccurrence(of: key, after: first, in: lines) else {
            sink.error(.duplicateKey, at: TextLocation(file: file, line: first.line, column: first.column), message)
            return nil
        }
        sink.error(.duplicateKey, at: TextLocation(file: file, line: line + 1, column: column + 1), message)
        lines[line].replaceSubrange(column..<(column + length), with: repeatElement(mask, count: length))
        return lines.map { String(String.UnicodeScalarView($0)) }.joined(separator: "\n")
    }

    /// Where `key` (written at `first`) appears again in its mapping: at the same indentation in
    /// a block mapping, later on the line in a flow mapping. The range covers the key's
    /// characters inside any quotes.
    private static func secondOccurrence(of key: String, after first: Mark, in lines: [[Unicode.Scalar]]) -> (Int, Int, Int)? {
        let keyScalars = Array(key.unicodeScalars)
        let firstLine = first.line - 1, indent = first.column - 1
        guard lines.indices.contains(firstLine) else { return nil }
        /// The key at `column` of `line` (bare or quoted) followed by `:`: the start and length of its characters.
        func keyAt(_ line: [Unicode.Scalar], _ column: Int) -> (Int, Int)? {
            for quote in [nil, "\"", "'"] as [Unicode.Scalar?] {
                let open = quote == nil ? 0 : 1
                let end = column + open + keyScalars.count + open
                guard end <= line.count, Array(line[(column + open)..<(column + open + keyScalars.count)]) == keyScalars,
                      quote == nil || (line[column] == quote && line[end - 1] == quote) else { continue }
                let rest = line[end...].drop { $0 == " " }
                if rest.first == ":" { return (column + open, keyScalars.count) }
            }
            return nil
        }
        let isBlock = lines[firstLine].prefix(indent).allSatisfy { $0 == " " || $0 == "-" }
        if isBlock {
            for lineIndex in (firstLine + 1)..<lines.count {
                let line = lines[lineIndex]
                let leading = line.prefix { $0 == " " }.count
                if leading < indent, !(leading == line.count || line[leading] == "#") { return nil }
                if leading == indent, let (column, length) = keyAt(line, indent) { return (lineIndex, column, length) }
            }
            return nil
        }
        var column = indent + keyScalars.count
        for lineIndex in firstLine..<lines.count {
            let line = lines[lineIndex]
            while column < line.count {
                if "{, ".unicodeScalars.contains(line[max(0, column - 1)]) || column == 0, let (start, length) = keyAt(line, column) {
                    return (lineIndex, start, length)
                }
                column += 1
            }
            column = 0
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
        case .reader(let problem, let offset, _, _):
            let prefix = text.unicodeScalars.prefix(offset ?? 0)
            let line = prefix.count(where: { $0 == "\n" }) + 1
            let column = prefix.count - (prefix.lastIndex(of: "\n").map { prefix.distance(from: prefix.startIndex, to: $0) + 1 } ?? 0) + 1
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
}
