/// What the built-in functions are, for people: each one's signature (as messages write it),
/// what it returns and an example, as the function table of docs/expressions.md says (a test holds
/// the two together). The language server's completion and hover read it; nothing else does.
public enum FunctionCatalogue {
    public struct Entry: Sendable, Equatable {
        public var name: String
        /// As messages write it: `days_since(date or datetime)`.
        public var signature: String
        /// What it returns, in words: the "returns" column of docs/expressions.md.
        public var returns: String
        /// An example of a call, from the same table.
        public var example: String
    }

    /// Every function, by name.
    public static let entries: [Entry] = {
        var names = Array(Functions.table.keys) + Array(Functions.lambdaFunctions.keys)
        names.sort()
        return names.map { name in
            let signature = Functions.table[name]?.signature ?? Functions.lambdaFunctions[name]?.signature ?? name + "()"
            let words = descriptions[name]
            return Entry(name: name, signature: signature, returns: words?.returns ?? "", example: words?.example ?? "")
        }
    }()

    public static func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

    private static let descriptions: [String: (returns: String, example: String)] = [
        "len": ("integer: characters or items", "`len(ticket.tags) > 0`"),
        "contains": ("boolean: the list holds the value, or the string holds the substring", "`contains(ticket.tags, 'vip')`"),
        "lower": ("string", "`lower(ticket.email) == 'ana@example.com'`"),
        "upper": ("string", "`lower(ticket.email) == 'ana@example.com'`"),
        "starts_with": ("boolean", "`starts_with(ticket.order_id, 'A-')`"),
        "exists": ("boolean: the path has a value (not null); the path may be indexed", "`exists(ticket.order_id)`, `exists(ticket.orders[input.order_id])`"),
        "coalesce": ("the value, or the fallback where it is null", "`coalesce(ticket.priority, 'normal') == 'high'`"),
        "if": ("one of the two, evaluating only that one", "`if(ticket.vip, 4h, 24h)`"),
        "today": ("date: the UTC date of `now`", "`ticket.due_on < today()`"),
        "days_since": ("integer: whole days until today", "`days_since(ticket.purchased_on) <= 30`"),
        "hours_since": ("integer: whole hours until `now`", "`hours_since(ticket.created_at) >= 4`"),
        "date": ("date", "`ticket.purchased_on >= date('2026-01-01')`"),
        "datetime": ("datetime", "`now > datetime('2026-12-24T18:00:00Z')`"),
        "all": ("boolean: the condition holds for every item (true for an empty list)", "`all(ticket.orders[input.order_id].items, i -> i.price > 0)`"),
        "any": ("boolean: the condition holds for some item (false for an empty list)", "`any(ticket.tags, t -> starts_with(t, 'vip'))`"),
        "map": ("list of the values; null when the two lists differ in length", "`map(ticket.orders[input.order_id].items, i -> i.item_id)`"),
        "find": ("the first item for which the condition holds, or null", "`find(ticket.orders[input.order_id].items, i -> i.item_id == input.item_id).price`"),
        "count": ("integer: how many items the condition holds for", "`count(ticket.orders[input.order_id].items, i -> i.price > 100) <= 2`"),
        "sum": ("number: integer when every item is an integer; 0 for an empty list; null if an item is null", "`sum(map(ticket.orders[input.order_id].items, i -> i.price)) > 500`"),
        "subset": ("boolean: every item of `a` is in `b`, counting repeats (`['x', 'x']` is not a subset of `['x']`)", "`subset(input.item_ids, map(ticket.orders[input.order_id].items, i -> i.item_id))`"),
        "keys": ("list of strings: the object's field names, sorted", "`input.order_id in keys(ticket.orders)`"),
    ]
}

extension FunctionCatalogue.Entry {
    /// Markdown for a hover or a completion's documentation.
    public var markdown: String {
        "```\n\(signature)\n```\n\(returns)" + (example.isEmpty ? "" : "\n\nExample: \(example)")
    }
}
