/// The rule every name, bank, account, reference and reason follows: it shows as what it holds.
/// After Unicode's guidance on identifiers and confusables (UTS #39, UAX #31), a text is refused
/// when it holds
/// - a control character (category Cc, tabs and line breaks among them);
/// - an invisible formatting character (Cf: bidi overrides and isolates such as U+202E, the
///   byte-order mark, zero-width space, tag characters), except the zero-width joiner and
///   non-joiner (U+200D, U+200C), which some scripts and emoji need;
/// - a private-use or unassigned code point (Co, Cn: noncharacters such as U+FFFF among them);
/// or when nothing in it is visible (only white space and default-ignorable code points).
///
/// The API document's `pattern` for these fields is generated from the same two predicates
/// (`pattern`), so the document and the server can not disagree, whatever Unicode version the
/// toolchain carries.
public enum DisplayText {
    /// Why `text` would show as something other than what it holds, or nil.
    public static func problem(_ text: String) -> String? {
        // The usual case, printable ASCII with a letter or digit, is answered from the bytes.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            return text.utf8.contains(where: { $0 > 0x20 }) ? nil : "must contain a visible character"
        }
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "must not contain control characters"
        }
        if text.unicodeScalars.contains(where: isHidden) {
            return "must not contain invisible, direction-changing, private-use or unassigned characters"
        }
        return text.unicodeScalars.allSatisfy(isInvisible) ? "must contain a visible character" : nil
    }

    /// A code point the text may not hold at all.
    static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .privateUse, .unassigned, .surrogate: true
        case .format: scalar.value != 0x200C && scalar.value != 0x200D
        default: false
        }
    }

    /// A code point that shows nothing by itself.
    static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || scalar.properties.isDefaultIgnorableCodePoint
    }

    /// An ECMA-262 regular expression (JSON Schema's dialect) that matches exactly the texts
    /// `problem` takes: not only invisible code points, and none hidden.
    public static let pattern = "^(?!\(characterClass { !isHidden($0) && isInvisible($0) })*$)\(characterClass { !isHidden($0) })*$"

    /// `pattern`, or the empty string (a reference that is left out).
    public static let patternOrEmpty = "^$|" + pattern

    /// The code points `admits` takes, as one bracketed class: ranges of `\uXXXX` escapes, and
    /// literal characters beyond the Basic Multilingual Plane (the one spelling ECMA-262 with
    /// the `u` flag, Python, Rust and ICU all read alike).
    static func characterClass(_ admits: (Unicode.Scalar) -> Bool) -> String {
        var ranges: [ClosedRange<UInt32>] = []
        var start: UInt32?
        for value in UInt32(0)...0x11_0000 {
            let taken = Unicode.Scalar(value).map(admits) ?? false
            if taken, start == nil { start = value }
            if !taken, let first = start {
                ranges.append(first...(value - 1))
                start = nil
            }
        }
        func spelled(_ value: UInt32) -> String {
            if value < 0x1_0000 {
                let hex = String(value, radix: 16, uppercase: true)
                return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
            return String(Character(Unicode.Scalar(value)!))
        }
        return "[" + ranges.map { $0.count == 1 ? spelled($0.lowerBound) : spelled($0.lowerBound) + "-" + spelled($0.upperBound) }.joined() + "]"
    }
}
