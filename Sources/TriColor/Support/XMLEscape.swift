// XML text escaping, shared by the two places that write SVG: gcbench's charts (GCBenchKit) and the
// scenario pictures (TriColorLab). It lives in the core only so that neither tool depends on the other.

/// Escapes text for XML content and attribute values.
package func xmlEscape(_ s: String) -> String {
    var o = ""
    o.reserveCapacity(s.count)
    for c in s {
        switch c {
        case "&": o += "&amp;"
        case "<": o += "&lt;"
        case ">": o += "&gt;"
        case "\"": o += "&quot;"
        case "'": o += "&apos;"
        default: o.append(c)
        }
    }
    return o
}
