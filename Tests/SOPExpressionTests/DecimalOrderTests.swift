import Foundation
import Testing
import TestSupport
@testable import SOPExpression

/// The fast decimal ordering agrees with Foundation's on every value it is given, including
/// mantissas too wide for its 64-bit path, zeros written with exponents, and far exponents.
struct DecimalOrderTests {
    @Test func layoutCheckPasses() {
        // If this fails the fast path is off (still correct, only slower): look at Decimal's layout.
        #expect(DecimalOrder.layout != nil)
    }

    @Test func agreesWithFoundationOnRandomDecimals() {
        var rng = SplitMix64(seed: 20261123)
        func randomDecimal() -> Decimal {
            let digits = Int(rng.next() % 30) + 1
            var text = (rng.next() % 2 == 0 ? "-" : "") + String((0..<digits).map { _ in Character(String(rng.next() % 10)) })
            switch rng.next() % 3 {
            case 0: break
            case 1: text.insert(".", at: text.index(text.endIndex, offsetBy: -Int(rng.next() % UInt64(digits))))
            default: text += "e\(Int(rng.next() % 60) - 30)"
            }
            return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) ?? 0
        }
        var fast = 0
        for _ in 0..<20_000 {
            let a = randomDecimal()
            // Half the pairs are close (same value rescaled, or one unit apart) to test ties.
            let b: Decimal
            switch rng.next() % 4 {
            case 0: b = a
            case 1: b = a * 10 / 10
            default: b = randomDecimal()
            }
            let expected = a < b ? -1 : (a == b ? 0 : 1)
            #expect(DecimalOrder.compare(a, b) == expected, "\(a) vs \(b)")
            #expect(DecimalOrder.equal(a, b) == (a == b), "\(a) == \(b)")
            let i = Int(truncatingIfNeeded: rng.next() >> UInt64(rng.next() % 64)) * (rng.next() % 2 == 0 ? 1 : -1)
            let integerExpected = Decimal(i) < a ? -1 : (Decimal(i) == a ? 0 : 1)
            #expect(DecimalOrder.compare(i, a) == integerExpected, "\(i) vs \(a)")
            if DecimalOrder.parts(a) != nil && DecimalOrder.parts(b) != nil { fast += 1 }
        }
        // The fast path must actually be taken for ordinary values, not only the fallback.
        #expect(fast > 5_000)
    }

    @Test(arguments: [("120.5", "200", -1), ("10", "10.000", 0), ("-0.5", "0", -1), ("0", "-0.0", 0),
                      ("18446744073709551615", "18446744073709551616", -1), ("1e30", "999999999999999999", 1),
                      ("-1e-30", "-1e-29", 1)])
    func knownOrders(_ a: String, _ b: String, _ order: Int) {
        let x = Decimal(string: a, locale: Locale(identifier: "en_US_POSIX"))!
        let y = Decimal(string: b, locale: Locale(identifier: "en_US_POSIX"))!
        #expect(DecimalOrder.compare(x, y) == order)
        #expect(DecimalOrder.compare(y, x) == -order)
    }
}
