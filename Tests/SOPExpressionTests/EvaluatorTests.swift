import Foundation
import Testing
import TestSupport
@testable import SOPExpression

/// 2026-11-02T09:00:00Z, a Monday.
let testNow = CivilTime.parseDateTime("2026-11-02T09:00:00Z")!

let testContext = EvaluationContext(
    ticket: .object([
        "priority": .string("high"),
        "vip": .boolean(true),
        "tags": .list([.string("vip"), .string("returns")]),
        "total": .number(Decimal(string: "19.99")!),
        "count": .integer(3),
        "purchased_on": .date(CivilTime.parseDate("2026-10-20")!),
        "created_at": .datetime(CivilTime.parseDateTime("2026-11-01T09:00:00Z")!),
        "customer": .object(["name": .string("Ana Lima")]),
        "nothing": .null,
    ]),
    vars: ["warnings": .integer(2)],
    inputs: ["order_found": .boolean(true), "amount": .number(250)],
    childOutcome: "resolved",
    runStartedAt: testNow - 3_600_000, runEnteredAt: testNow - 1_800_000, runState: "open",
    now: testNow)

func evaluate(_ text: String, _ context: EvaluationContext = testContext) -> Result<Value, EvaluationError> {
    guard case .success(let expr) = ExpressionParser.parse(text) else {
        return .failure(EvaluationError("parse error"))
    }
    return Result { () throws(EvaluationError) -> Value in try Evaluator.evaluate(expr, in: context) }
}

private func date(_ s: String) -> Value { .date(CivilTime.parseDate(s)!) }
private func datetime(_ s: String) -> Value { .datetime(CivilTime.parseDateTime(s)!) }
private func number(_ s: String) -> Value { .number(Decimal(string: s)!) }

/// Every operator and function, with null cases and calendar edge cases.
struct EvaluatorTests {
    @Test(arguments: [
        // comparison and equality, numbers across integer and decimal
        ("1 == 1.0", Value.boolean(true)), ("2 != 2", .boolean(false)), ("0.1 + 0.2 == 0.3", .boolean(true)),
        ("ticket.total < 20", .boolean(true)), ("ticket.total >= 19.99", .boolean(true)), ("'abc' < 'abd'", .boolean(true)),
        ("ticket.priority == 'high'", .boolean(true)), ("ticket.priority in ['low', 'high']", .boolean(true)),
        ("ticket.priority not in ['low', 'high']", .boolean(false)), ("'vip' in ticket.tags", .boolean(true)),
        ("'ana' in 'banana'", .boolean(true)), ("[1, 2] == [1, 2.0]", .boolean(true)),
        // logic
        ("true and false", .boolean(false)), ("true or false", .boolean(true)), ("not true", .boolean(false)),
        ("false and 1 / 0 == 1", .boolean(false)), ("true or 1 / 0 == 1", .boolean(true)),
        // arithmetic
        ("7 + 3 * 2", .integer(13)), ("7 - 10", .integer(-3)), ("7 % 3", .integer(1)), ("-7 % 3", .integer(-1)),
        ("7 / 2", number("3.5")), ("ticket.total * 2", number("39.98")), ("-ticket.count", .integer(-3)),
        ("7.5 % 2", number("1.5")), ("'a' + 'b'", .string("ab")),
        // durations
        ("1h30m == 90m", .boolean(true)), ("2 * 1h", .duration(7_200_000)), ("1d / 2", .duration(43_200_000)),
        ("1w - 1d", .duration(518_400_000)), ("-2h", .duration(-7_200_000)),
        // dates and datetimes
        ("date('2026-01-31') + 1d", date("2026-02-01")), ("date('2024-02-28') + 1d", date("2024-02-29")),
        ("date('2023-02-28') + 1d", date("2023-03-01")), ("date('2024-03-01') - 1d", date("2024-02-29")),
        ("date('2024-12-31') + 1d", date("2025-01-01")), ("date('2024-03-01') - date('2024-02-28')", .duration(2 * 86_400_000)),
        ("date('2025-03-01') - date('2025-02-28')", .duration(86_400_000)),
        ("datetime('2026-10-31T23:30:00Z') + 1h", datetime("2026-11-01T00:30:00Z")),
        ("datetime('2024-02-29T12:00:00+02:00')", datetime("2024-02-29T10:00:00Z")),
        ("now - ticket.created_at", .duration(86_400_000)), ("now - run.entered_at == 30m", .boolean(true)),
        ("ticket.purchased_on + 13d == today()", .boolean(true)), ("date('2026-11-01') + 36h", date("2026-11-02")),
        ("date(now)", date("2026-11-02")), ("datetime(date('2026-11-02'))", datetime("2026-11-02T00:00:00Z")),
        // functions
        ("len('héllo')", .integer(5)), ("len(ticket.tags)", .integer(2)), ("contains(ticket.tags, 'returns')", .boolean(true)),
        ("contains('hello', 'ell')", .boolean(true)), ("lower('AbC')", .string("abc")), ("upper('abc')", .string("ABC")),
        ("starts_with('T-100', 'T-')", .boolean(true)), ("exists(ticket.customer.name)", .boolean(true)),
        ("exists(ticket.customer.email)", .boolean(false)), ("coalesce(ticket.nothing, 'x')", .string("x")),
        ("coalesce(ticket.count, 0)", .integer(3)), ("if(ticket.vip, 4h, 1d)", .duration(14_400_000)),
        ("if(false, 1 / 0, 2)", .integer(2)), ("today()", date("2026-11-02")),
        ("days_since(ticket.purchased_on)", .integer(13)), ("days_since(date('2026-10-31'))", .integer(2)),
        ("days_since(datetime('2026-11-01T10:00:00Z'))", .integer(0)), ("hours_since(ticket.created_at)", .integer(24)),
        ("days_since(date('2024-02-28')) - days_since(date('2024-03-01'))", .integer(2)),
        // paths
        ("run.state", .string("open")), ("child.outcome", .string("resolved")), ("var.warnings + 1", .integer(3)),
        ("input.amount > 200", .boolean(true)), ("run.started_at", .datetime(testNow - 3_600_000)),
    ])
    func evaluates(text: String, expected: Value) throws {
        let value = try evaluate(text).get()
        #expect(Evaluator.equals(value, expected), "\(text) = \(value), expected \(expected)")
    }

    @Test(arguments: [
        // A missing field reads as null; == and != work with null; comparisons are false; arithmetic is null.
        ("ticket.missing == null", Value.boolean(true)), ("ticket.missing != null", .boolean(false)),
        ("ticket.nothing == null", .boolean(true)), ("ticket.count == null", .boolean(false)),
        ("ticket.missing > 1", .boolean(false)), ("ticket.missing < 1", .boolean(false)), ("ticket.missing <= 1", .boolean(false)),
        ("ticket.missing + 1", .null), ("1 - ticket.missing", .null), ("-ticket.missing", .null),
        ("ticket.missing in [null]", .boolean(false)), ("ticket.missing not in ['a']", .boolean(false)),
        ("ticket.missing.deeper", .null), ("input.never_given", .null), ("var.undeclared", .null),
        ("not ticket.missing", .boolean(true)), ("ticket.missing and true", .boolean(false)), ("ticket.missing or true", .boolean(true)),
        ("len(ticket.missing)", .null), ("lower(ticket.missing)", .null), ("contains(ticket.missing, 'a')", .boolean(false)),
        ("starts_with(ticket.missing, 'a')", .boolean(false)), ("days_since(ticket.missing)", .null),
        ("date(ticket.missing)", .null), ("ticket.missing + 1d", .null),
    ])
    func nullSemantics(text: String, expected: Value) throws {
        #expect(try evaluate(text).get() == expected)
    }

    @Test(arguments: [
        ("1 / 0", "division by zero"), ("1 % 0", "remainder by zero"), ("1.5 / 0", "division by zero"),
        ("9223372036854775807 + 1", "integer overflow in '+'"), ("-9223372036854775807 - 2", "integer overflow in '-'"),
        ("date('2026-02-30')", "date('2026-02-30'): not a date of the form YYYY-MM-DD"),
        ("datetime('tomorrow')", "datetime('tomorrow'): not an RFC 3339 datetime"),
        ("ticket.priority > 3", "cannot order a string and an integer"), ("'a' - 1", "'-' cannot combine a string and an integer"),
        ("ticket.count and true", "'and' needs booleans, found integer 3"), ("lower(3)", "lower() needs a string, found integer"),
        ("1d / 0", "division by zero"),
    ])
    func runTimeErrorsAreValuesNotTraps(text: String, message: String) {
        guard case .failure(let error) = evaluate(text) else {
            Issue.record("\(text) did not fail")
            return
        }
        #expect(error.message == message)
    }

    @Test func guardsHoldOnlyForTrue() throws {
        func holds(_ text: String) throws -> Bool {
            guard case .success(let e) = ExpressionParser.parse(text) else { return false }
            return try Evaluator.compile(e).holds(testContext)
        }
        #expect(try holds("ticket.vip"))
        #expect(try !holds("ticket.missing"))
        #expect(throws: EvaluationError.self) { try holds("ticket.count") }
    }

    @Test func calendarAlgorithmsRoundTrip() {
        for days in stride(from: -800_000, through: 800_000, by: 997) {
            let (y, m, d) = CivilTime.civil(fromDays: days)
            #expect(CivilTime.days(year: y, month: m, day: d) == days)
        }
        #expect(CivilTime.parseDate("2024-02-29") != nil)
        #expect(CivilTime.parseDate("2023-02-29") == nil)
        #expect(CivilTime.parseDate("1900-02-29") == nil)
        #expect(CivilTime.parseDate("2000-02-29") != nil)
        #expect(CivilTime.formatDateTime(CivilTime.parseDateTime("2026-11-02T09:00:00.250Z")!) == "2026-11-02T09:00:00.250Z")
        #expect(CivilTime.parseDateTime("2026-11-02T09:00:00") == nil)
        #expect(CivilTime.parseDateTime("2026-11-02 09:00:00z") == CivilTime.parseDateTime("2026-11-02T09:00:00Z"))
        #expect(DurationFormat.parse("1h30m") == 5_400_000)
        #expect(DurationFormat.parse("2 days") == nil)
    }
}

/// RFC 3339 datetimes with any number of fractional digits, and leap seconds where they exist.
@Suite struct DateTimeParsingTests {
    @Test(arguments: [
        ("2026-11-02T09:00:00.1Z", "2026-11-02T09:00:00.100Z"),
        ("2026-11-02T09:00:00.12Z", "2026-11-02T09:00:00.120Z"),
        ("2026-11-02T09:00:00.123Z", "2026-11-02T09:00:00.123Z"),
        ("2026-11-02T09:00:00.1234Z", "2026-11-02T09:00:00.123Z"),
        ("2026-11-02T09:00:00.123456Z", "2026-11-02T09:00:00.123Z"),
        ("2026-01-01T00:00:00.123456789+01:00", "2025-12-31T23:00:00.123Z"),
    ])
    func fractionalSecondsOfAnyLength(_ text: String, _ formatted: String) throws {
        let ms = try #require(CivilTime.parseDateTime(text))
        #expect(CivilTime.formatDateTime(ms) == formatted)
    }

    /// Formatting writes digits straight into the string for years 0–9999: it must agree with
    /// Foundation's calendar on random instants, and parse back to the same millisecond.
    @Test func formattingAgreesWithFoundationAndParsesBack() throws {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        var generator = SplitMix64(seed: 20261201)
        for round in 0..<2000 {
            // Years 1600–9999 (Foundation's calendar is Julian before 1582; sopkit's is proleptic
            // Gregorian, as RFC 3339's), and with milliseconds every other round.
            let ms = Int64.random(in: -11_676_096_000_000 ... 253_402_300_799_999, using: &generator) / (round % 2 == 0 ? 1000 : 1)
                * (round % 2 == 0 ? 1000 : 1)
            let text = CivilTime.formatDateTime(ms)
            let c = utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(ms) / 1000))
            let millis = Int((ms % 1000 + 1000) % 1000)
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
                + (millis == 0 ? "" : String(format: ".%03d", millis)) + "Z"
            #expect(text == expected, "\(ms)")
            #expect(CivilTime.parseDateTime(text) == ms, "\(text)")
            #expect(CivilTime.formatDate(Int(CivilTime.floorDivide(ms, 86_400_000).0)) == String(text.prefix(10)))
        }
    }

    @Test func aLeapSecondIsTheLastSecondOfAUTCDayOnly() {
        #expect(CivilTime.parseDateTime("2016-12-31T23:59:60Z") != nil)
        #expect(CivilTime.parseDateTime("2017-01-01T00:59:60+01:00") != nil)
        #expect(CivilTime.parseDateTime("2016-12-31T18:59:60-05:00") != nil)
        #expect(CivilTime.parseDateTime("2026-11-02T09:00:60Z") == nil)
        #expect(CivilTime.parseDateTime("2016-12-31T23:59:60+01:00") == nil)
    }
}

/// Every built-in function is in docs/expressions.md's table of functions.
@Suite struct FunctionDocsTests {
    @Test func everyFunctionIsDocumented() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/expressions.md"), encoding: .utf8)
        let rows = doc.split(separator: "\n").filter { $0.hasPrefix("| `") }
        #expect(Functions.table.count >= 13)
        for name in Functions.allNames {
            #expect(rows.contains { $0.contains("`\(name)(") }, "docs/expressions.md has no row for \(name)()")
        }
    }
}
