import Foundation
import Ink
import SOPCore

/// Markdown to HTML that is safe to put in a page: Ink renders the Markdown, then every `<` that
/// does not open or close an allowed tag is escaped, allowed tags lose every attribute but a
/// link's `href`, and a link goes only to http(s), mailto, a path or an anchor. Raw HTML written in
/// an instruction, or brought in by a ticket's value through a template, shows as text.
enum SafeMarkdown {
    static let allowed: Set<String> = ["p", "em", "strong", "code", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
                                       "blockquote", "br", "hr", "a", "del", "table", "thead", "tbody", "tr", "th", "td"]

    static func html(_ markdown: String) -> String {
        sanitize(MarkdownParser().html(from: markdown))
    }

    static func sanitize(_ html: String) -> String {
        let scalars = Array(html.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            guard c == "<" else {
                out.append(c)
                i += 1
                continue
            }
            if let (tag, end) = Self.tag(scalars, at: i) {
                out.append(contentsOf: tag.unicodeScalars)
                i = end
            } else {
                out.append(contentsOf: "&lt;".unicodeScalars)
                i += 1
            }
        }
        return String(out)
    }

    /// An allowed tag at `start` (a `<`), rewritten, and the index after its `>`.
    static func tag(_ s: [Unicode.Scalar], at start: Int) -> (String, Int)? {
        var i = start + 1
        var closing = false
        if i < s.count, s[i] == "/" { closing = true; i += 1 }
        var name = ""
        while i < s.count, s[i].properties.isAlphabetic || ("0"..."9").contains(s[i]) { name.unicodeScalars.append(s[i]); i += 1 }
        name = name.lowercased()
        guard !name.isEmpty, allowed.contains(name) else { return nil }
        // The attributes, up to the tag's end; a tag that never ends is not a tag.
        var attributes = ""
        var quote: Unicode.Scalar?
        while i < s.count {
            let c = s[i]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == ">" {
                break
            } else if c == "<" {
                return nil
            }
            attributes.unicodeScalars.append(c)
            i += 1
        }
        guard i < s.count else { return nil }
        if closing { return ("</\(name)>", i + 1) }
        if name == "a", let href = Self.href(attributes) { return ("<a href=\"\(XMLText.escape(href))\" rel=\"noopener noreferrer\">", i + 1) }
        return ("<\(name)>", i + 1)
    }

    /// A link's target when it is safe to follow.
    static func href(_ attributes: String) -> String? {
        guard let range = attributes.range(of: "href=\"") else { return nil }
        let rest = attributes[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        let value = String(rest[..<end]).replacingOccurrences(of: "&amp;", with: "&")
        let lower = value.lowercased().trimmingCharacters(in: .whitespaces)
        let safe = lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower.hasPrefix("mailto:")
            || lower.hasPrefix("/") || lower.hasPrefix("#")
        return safe ? value : nil
    }
}
