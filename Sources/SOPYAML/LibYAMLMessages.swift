/// Turns libyaml's terse problem strings into plain words and a fix.
enum LibYAMLMessages {
    static func explain(problem: String, context: String?, contextLine: Int, byteAtProblem: UInt8?,
                        problemValue: Int, characterAtProblem: Unicode.Scalar?) -> (String, String?) {
        switch problem {
        case "invalid leading UTF-8 octet", "invalid trailing UTF-8 octet", "incomplete UTF-8 octet sequence",
             "invalid length of a UTF-8 sequence", "invalid Unicode character":
            let byteText = byteAtProblem.map { " (byte 0x" + hex($0) + ")" } ?? ""
            return ("the file is not valid UTF-8\(byteText)", "save the file as UTF-8")
        case "control characters are not allowed":
            let which = problemValue >= 0 ? " (U+" + hex4(problemValue) + ")" : ""
            return ("the file contains a control character\(which), which YAML does not allow",
                    "remove the character; write it as an escape such as \"\\t\" inside a double-quoted string")
        case "found character that cannot start any token":
            if characterAtProblem == "\t" {
                return ("a tab is used for indentation; YAML indents with spaces only", "replace the tab with spaces")
            }
            let shown = characterAtProblem.map { " '\($0)'" } ?? ""
            return ("the character\(shown) cannot start a YAML value",
                    "quote the value if the character belongs to the text")
        case "found a tab character that violates indentation", "found a tab character where an indentation space is expected":
            return ("a tab is used for indentation; YAML indents with spaces only", "replace the tab with spaces")
        case "mapping values are not allowed in this context":
            return ("a ':' here would start a mapping where none can begin",
                    "quote the value if it contains ': ', or fix the indentation of this line")
        case "did not find expected key":
            return ("the indentation is off: a key was expected at this level (the mapping starts at line \(contextLine))",
                    "indent this line like the other keys of its mapping")
        case "did not find expected '-' indicator":
            return ("the indentation is off: a list item '- ' was expected at this level (the list starts at line \(contextLine))",
                    "indent this line like the other items of its list")
        case "block sequence entries are not allowed in this context":
            return ("a list item '- ' cannot start here", "put the list on its own lines, indented under its key")
        case "did not find expected node content":
            return ("a value was expected here", "write a value, or quote text that starts with a YAML indicator")
        case "could not find expected ':'":
            return ("a key is not followed by ':' (the key starts at line \(contextLine))",
                    "write 'key: value', or quote the text if it is not a key")
        case "did not find expected ',' or ']'":
            return ("a flow list '[' is not closed, or its items are not separated by ',' (it starts at line \(contextLine))",
                    "close the list with ']'; if this is a ${{ … }} template, quote it")
        case "did not find expected ',' or '}'":
            return ("a flow mapping '{' is not closed, or its entries are not separated by ',' (it starts at line \(contextLine))",
                    "close the mapping with '}'; if this is a ${{ … }} template, quote it")
        case "found unexpected end of stream":
            if let context, context.contains("quoted scalar") {
                return ("the file ends inside a quoted string that starts at line \(contextLine)", "close the quote")
            }
            return ("the file ends in the middle of a value (started at line \(contextLine))", "complete or remove it")
        case "found unknown escape character":
            return ("a double-quoted string has an unknown escape sequence",
                    "write '\\\\' for a backslash, or use single quotes")
        case "found undefined tag handle":
            return ("a tag handle is used that no %TAG directive defines", "remove the tag")
        case "found unexpected document indicator":
            return ("a '---' or '...' line is inside a quoted string", "close the string before it")
        case "did not find expected <document start>":
            return ("the document has ended, but more text follows", "an SOP file holds one document: remove the '...' or '---' line above, or the text after it")
        case "did not find expected comment or line break":
            if let context, context.contains("directive") {
                return ("a '%' directive line holds more than the directive", "write '%YAML 1.2' alone on its line, or remove it")
            }
            return ("text follows the '|' or '>' that starts a block of text", "start the block's text on the next line, indented under its key")
        case "did not find expected whitespace or line break":
            return ("a tag is not followed by a space", "write a space after the tag, as in '!!str 42'")
        case "found an indentation indicator equal to 0":
            return ("a block of text cannot have the indentation indicator 0", "write 1 to 9 after the '|' or '>', or leave it out")
        case "found duplicate %YAML directive":
            return ("the %YAML directive appears twice", "keep one '%YAML' line")
        case "found unknown directive name":
            return ("a line starting with '%' is read as a directive, and YAML knows only %YAML and %TAG",
                    "quote text that starts with '%', or remove the line")
        case "could not find expected directive name":
            return ("a '%' at the start of a line begins a directive, but no directive name follows",
                    "quote text that starts with '%'")
        case "found unexpected ':'":
            return ("a ':' inside this unquoted value makes it ambiguous", "quote the value")
        case "did not find expected alphabetic or numeric character":
            return ("an anchor ('&') or alias ('*') has no name, or a character a name cannot hold",
                    "write '&name' and '*name' with letters, digits, '-' and '_'; quote text that starts with '&' or '*'")
        case "found incompatible YAML document":
            return ("the %YAML directive names a version this parser does not read", "write '%YAML 1.2', or remove the directive")
        default:
            let prefix = context.map { "\($0), " } ?? ""
            return ("the YAML does not parse: \(prefix)\(problem)", nil)
        }
    }

    private static func hex(_ b: UInt8) -> String {
        let h = String(b, radix: 16, uppercase: true)
        return h.count == 1 ? "0" + h : h
    }

    private static func hex4(_ v: Int) -> String {
        let h = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - h.count)) + h
    }
}
