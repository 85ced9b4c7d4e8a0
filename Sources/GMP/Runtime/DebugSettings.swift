import Foundation

// `TRICOLOR_DEBUG` parsing (GODEBUG style), shared by every layer: each applies the keys it
// understands (`SchedulerConfig.apply(debug:)` here, the runtime's config above).

/// GODEBUG-style `key=value,key=value` parsing, shared by every layer.
public enum DebugSettings {
    /// Splits `a=1,b=2` into ordered pairs; a bare `key` means `key=1`.
    public static func parse(_ s: String) -> [(String, String)] {
        s.split(separator: ",").compactMap { item in
            let parts = item.split(separator: "=", maxSplits: 1)
            guard let k = parts.first?.trimmingCharacters(in: .whitespaces), !k.isEmpty else { return nil }
            let v = parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : "1"
            return (k, v)
        }
    }
}
