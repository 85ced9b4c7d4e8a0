// Where a JSON text first goes wrong, for `file:line:column` messages: Foundation's
// decoder says only that "the given data was not valid JSON". A recursive-descent scan of
// RFC 8259's grammar (values, objects, arrays, strings with escapes, numbers, literals)
// that stops at the first byte that cannot continue a valid text.

enum JSONSyntax {
    /// The line and column (1-based) of the first syntax error in `text`, and what was
    /// expected there; nil if `text` is valid JSON.
    static func firstError(in text: String) -> (line: Int, column: Int, expected: String)? {
        var s = Scanner(bytes: Array(text.utf8))
        if s.document() { return nil }
        var line = 1, col = 1
        for b in s.bytes[..<min(s.at, s.bytes.count)] {
            if b == UInt8(ascii: "\n") { line += 1; col = 1 } else { col += 1 }
        }
        return (line, col, s.expected)
    }

    struct Scanner {
        let bytes: [UInt8]
        var at = 0
        var expected = ""

        var peek: UInt8? { at < bytes.count ? bytes[at] : nil }

        mutating func fail(_ what: String) -> Bool {
            expected = what
            return false
        }

        mutating func space() {
            while let b = peek, b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { at += 1 }
        }

        mutating func document() -> Bool {
            guard value() else { return false }
            space()
            return peek == nil || fail("end of file")
        }

        mutating func value() -> Bool {
            space()
            switch peek {
            case UInt8(ascii: "{"): return object()
            case UInt8(ascii: "["): return array()
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            case .some(let b) where b == UInt8(ascii: "-") || (b >= 0x30 && b <= 0x39): return number()
            default: return fail("a value")
            }
        }

        mutating func literal(_ word: String) -> Bool {
            for c in word.utf8 {
                guard peek == c else { return fail("'\(word)'") }
                at += 1
            }
            return true
        }

        mutating func digits() -> Bool {
            guard let b = peek, b >= 0x30 && b <= 0x39 else { return fail("a digit") }
            while let b = peek, b >= 0x30 && b <= 0x39 { at += 1 }
            return true
        }

        mutating func number() -> Bool {
            if peek == UInt8(ascii: "-") { at += 1 }
            guard digits() else { return false }
            if peek == UInt8(ascii: ".") { at += 1; guard digits() else { return false } }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                at += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { at += 1 }
                guard digits() else { return false }
            }
            return true
        }

        mutating func string() -> Bool {
            at += 1
            while let b = peek {
                at += 1
                if b == UInt8(ascii: "\"") { return true }
                if b < 0x20 { at -= 1; return fail("a character (control characters must be escaped)") }
                if b == UInt8(ascii: "\\") {
                    guard let e = peek, "\"\\/bfnrtu".utf8.contains(e) else { return fail("an escape") }
                    at += 1
                    if e == UInt8(ascii: "u") {
                        for _ in 0..<4 {
                            guard let h = peek, (h >= 0x30 && h <= 0x39) || (h | 0x20 >= 0x61 && h | 0x20 <= 0x66) else {
                                return fail("a hex digit")
                            }
                            at += 1
                        }
                    }
                }
            }
            return fail("'\"' closing the string")
        }

        mutating func object() -> Bool {
            at += 1
            space()
            if peek == UInt8(ascii: "}") { at += 1; return true }
            while true {
                space()
                guard peek == UInt8(ascii: "\"") else { return fail("a field name") }
                guard string() else { return false }
                space()
                guard peek == UInt8(ascii: ":") else { return fail("':'") }
                at += 1
                guard value() else { return false }
                space()
                if peek == UInt8(ascii: ",") { at += 1; continue }
                if peek == UInt8(ascii: "}") { at += 1; return true }
                return fail("',' or '}'")
            }
        }

        mutating func array() -> Bool {
            at += 1
            space()
            if peek == UInt8(ascii: "]") { at += 1; return true }
            while true {
                guard value() else { return false }
                space()
                if peek == UInt8(ascii: ",") { at += 1; continue }
                if peek == UInt8(ascii: "]") { at += 1; return true }
                return fail("',' or ']'")
            }
        }
    }
}
