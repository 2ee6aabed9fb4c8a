import Testing
@testable import SOPYAML

/// The YAML 1.2 core schema, case by case (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
struct CoreSchemaTests {
    @Test(arguments: [
        ("", ResolvedScalar.null), ("~", .null), ("null", .null), ("Null", .null), ("NULL", .null),
        ("true", .bool(true)), ("True", .bool(true)), ("FALSE", .bool(false)),
        ("yes", .string("yes")), ("no", .string("no")), ("on", .string("on")), ("off", .string("off")),
        ("y", .string("y")), ("nULL", .string("nULL")), ("tRUE", .string("tRUE")),
        ("0", .int(0)), ("-17", .int(-17)), ("+4", .int(4)), ("0o17", .int(15)), ("0x1F", .int(31)),
        ("0x", .string("0x")), ("0o8", .string("0o8")), ("1_000", .string("1_000")),
        ("1.5", .float(1.5)), ("-.5", .float(-0.5)), ("2.", .float(2)), ("1e3", .float(1000)),
        ("6.02E+23", .float(6.02e23)), ("1e", .string("1e")), (".", .string(".")),
        ("2026-11-02", .string("2026-11-02")), ("48h", .string("48h")), ("1:30", .string("1:30")),
        ("99999999999999999999", .float(1e20)),
    ])
    func plainScalars(text: String, expected: ResolvedScalar) {
        #expect(CoreSchema.resolvePlain(text) == expected)
    }

    @Test func infinityAndNaN() {
        #expect(CoreSchema.resolvePlain(".inf") == .float(.infinity))
        #expect(CoreSchema.resolvePlain("-.Inf") == .float(-.infinity))
        guard case .float(let nan) = CoreSchema.resolvePlain(".NaN") else {
            Issue.record("'.NaN' is not a float")
            return
        }
        #expect(nan.isNaN)
    }

    @Test func tagsOverridePlainResolution() {
        #expect(CoreSchema.resolve("12", tag: CoreSchema.strTag, plain: true) == .string("12"))
        #expect(CoreSchema.resolve("12", tag: CoreSchema.floatTag, plain: true) == .float(12))
        #expect(CoreSchema.resolve("true", tag: "!", plain: true) == .string("true"))
        #expect(CoreSchema.resolve("true", tag: nil, plain: false) == .string("true"))
        #expect(CoreSchema.resolve("abc", tag: CoreSchema.intTag, plain: true) == .string("abc"))
    }
}
