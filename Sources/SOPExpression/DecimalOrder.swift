import Foundation

/// Exact ordering of decimals without Foundation's general algorithm, which normalises both
/// operands into 128-bit mantissas (most of the cost of a guard like `ticket.total <= 200`).
///
/// A `Decimal` is stored as NSDecimal's layout: a signed 8-bit exponent, a byte holding the
/// mantissa length in 16-bit words and the sign bit, two reserved bytes, then eight 16-bit words
/// of mantissa, least significant first. Where in that byte the length and sign sit differs
/// between Foundations (swift-corelibs-foundation: length in the low nibble, sign 0x10;
/// swift-foundation: length in the high nibble, sign 0x08), so the layout is found once by
/// checking both against the public API. Amounts in tickets fit in 64 bits, so the fast path
/// compares integers; if no layout checks out, or a value does not fit, Foundation decides.
enum DecimalOrder {
    struct Parts: Equatable {
        var negative: Bool
        var exponent: Int
        var mantissa: UInt64
    }

    /// -1, 0 or 1 (NaN, which the language never produces, orders as Foundation says).
    static func compare(_ a: Decimal, _ b: Decimal) -> Int {
        if let x = parts(a), let y = parts(b) { return compare(x, y) }
        return a < b ? -1 : (a == b ? 0 : 1)
    }

    /// An integer against a decimal.
    static func compare(_ a: Int, _ b: Decimal) -> Int {
        if let y = parts(b) { return compare(Parts(negative: a < 0, exponent: 0, mantissa: UInt64(a.magnitude)), y) }
        let x = Decimal(a)
        return x < b ? -1 : (x == b ? 0 : 1)
    }

    static func equal(_ a: Decimal, _ b: Decimal) -> Bool {
        if let x = parts(a), let y = parts(b) { return compare(x, y) == 0 }
        return a == b
    }

    static func compare(_ x: Parts, _ y: Parts) -> Int {
        let sx = x.mantissa == 0 ? 0 : (x.negative ? -1 : 1)
        let sy = y.mantissa == 0 ? 0 : (y.negative ? -1 : 1)
        if sx != sy { return sx < sy ? -1 : 1 }
        if sx == 0 { return 0 }
        let magnitude = compareMagnitudes(x, y)
        return sx > 0 ? magnitude : -magnitude
    }

    /// Compares |x| and |y| by scaling the one with the larger exponent down to the other's:
    /// if that overflows 64 bits it is the larger, since the other fits.
    private static func compareMagnitudes(_ x: Parts, _ y: Parts) -> Int {
        var mx = x.mantissa, my = y.mantissa
        if x.exponent > y.exponent {
            for _ in 0..<(x.exponent - y.exponent) {
                let (scaled, overflow) = mx.multipliedReportingOverflow(by: 10)
                if overflow { return 1 }
                mx = scaled
            }
        } else if y.exponent > x.exponent {
            for _ in 0..<(y.exponent - x.exponent) {
                let (scaled, overflow) = my.multipliedReportingOverflow(by: 10)
                if overflow { return -1 }
                my = scaled
            }
        }
        return mx < my ? -1 : (mx == my ? 0 : 1)
    }

    /// The sign, exponent and mantissa of a decimal whose mantissa fits in 64 bits; nil for NaN,
    /// for larger mantissas, and always if the layout check failed.
    static func parts(_ d: Decimal) -> Parts? {
        guard let layout else { return nil }
        return rawParts(d, layout)
    }

    /// Where the mantissa length and the sign sit in the second byte.
    struct Layout {
        var lengthShift: UInt8
        var negativeBit: UInt8
    }

    private static func rawParts(_ d: Decimal, _ layout: Layout) -> Parts? {
        guard MemoryLayout<Decimal>.size == 20 else { return nil }
        return withUnsafeBytes(of: d) { raw -> Parts? in
            let exponent = Int(Int8(bitPattern: raw[0]))
            let length = Int((raw[1] >> layout.lengthShift) & 0x0F)
            let negative = raw[1] & layout.negativeBit != 0
            if length == 0 { return negative ? nil : Parts(negative: false, exponent: 0, mantissa: 0) }
            guard length <= 4 else { return nil }
            var mantissa: UInt64 = 0
            for word in stride(from: length - 1, through: 0, by: -1) {
                let low = UInt64(raw[4 + 2 * word]), high = UInt64(raw[4 + 2 * word + 1])
                mantissa = mantissa << 16 | high << 8 | low
            }
            return Parts(negative: negative, exponent: exponent, mantissa: mantissa)
        }
    }

    /// The layout under which every sample reads back as the public API describes it, if any.
    static let layout: Layout? = {
        guard 1.littleEndian == 1 else { return nil }
        let samples = ["0", "1", "-1", "120.5", "-0.001", "1000", "65536", "4294967296.25", "18446744073709551615",
                       "-98765432109.876543", "0.000000000000000000001", "-3"]
        func holds(_ layout: Layout) -> Bool {
            for text in samples {
                guard let d = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")),
                      let p = rawParts(d, layout) else { return false }
                let rebuilt = Decimal(sign: p.negative ? .minus : .plus, exponent: p.exponent, significand: Decimal(p.mantissa))
                if rebuilt != d || (p.mantissa != 0 && (p.negative != (d.sign == .minus))) { return false }
            }
            return true
        }
        return [Layout(lengthShift: 4, negativeBit: 0x08), Layout(lengthShift: 0, negativeBit: 0x10)].first(where: holds)
    }()
}
