/// Finds YAML aliases (`*name`) before the YAML is composed. Rules files may not use them:
/// Yams hashes mapping keys recursively, so an alias-built key can make composing take
/// exponential time (a "billion laughs"). Anchors alone are harmless and allowed.
///
/// A small scanner: it knows node starts, quotes, comments, flow collections and block
/// scalars, which is enough to tell an alias from text that contains a `*`.
enum AliasGuard {
    struct Alias: Equatable {
        var name: String
        var line: Int
        var column: Int
    }

    static func firstAlias(in text: String) -> Alias? {
        var flowDepth = 0
        var quote: Unicode.Scalar?
        var blockScalarParentIndent: Int?
        for (lineIndex, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let chars = Array(line.unicodeScalars)
            let indent = chars.prefix(while: { $0 == " " }).count
            if let parent = blockScalarParentIndent {
                if indent == chars.count || indent > parent { continue }
                blockScalarParentIndent = nil
            }
            var index = quote == nil ? indent : 0
            var atNodeStart = quote == nil
            while index < chars.count {
                let c = chars[index]
                let next: Unicode.Scalar? = index + 1 < chars.count ? chars[index + 1] : nil
                if let open = quote {
                    if c == "\\", open == "\"" { index += 2; continue }
                    if c == open {
                        if open == "'", next == "'" { index += 2; continue }
                        quote = nil
                    }
                    index += 1
                    continue
                }
                let followedByBreak = next == nil || next == " " || next == "\t"
                if c == " " || c == "\t" { index += 1; continue }
                if c == "#", index == 0 || chars[index - 1] == " " || chars[index - 1] == "\t" { break }
                if atNodeStart {
                    switch c {
                    case "*":
                        let name = chars[(index + 1)...].prefix { !" \t,[]{}".unicodeScalars.contains($0) }
                        return Alias(name: String(String.UnicodeScalarView(name)), line: lineIndex + 1, column: index + 1)
                    case "\"", "'":
                        quote = c
                        atNodeStart = false
                    case "|", ">":
                        blockScalarParentIndent = indent
                        index = chars.count
                        continue
                    case "[", "{":
                        flowDepth += 1
                        index += 1
                        continue
                    case "-", "?", ":" where followedByBreak:
                        index += 1
                        continue
                    case "&", "!":
                        while index < chars.count, chars[index] != " ", chars[index] != "\t" { index += 1 }
                        continue
                    default:
                        atNodeStart = false
                    }
                    index += 1
                    continue
                }
                if c == ":", followedByBreak || (flowDepth > 0 && next.map { ",[]{}".unicodeScalars.contains($0) } ?? true) {
                    atNodeStart = true
                } else if flowDepth > 0, c == "," {
                    atNodeStart = true
                } else if flowDepth > 0, c == "]" || c == "}" {
                    flowDepth -= 1
                } else if flowDepth > 0, c == "[" || c == "{" {
                    flowDepth += 1
                    atNodeStart = true
                }
                index += 1
            }
        }
        return nil
    }
}
