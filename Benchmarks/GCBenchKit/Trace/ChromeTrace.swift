// Chrome trace-event JSON (the "JSON Array/Object Format" of the Trace Event Format
// document) from the runtime's event log, for Perfetto (ui.perfetto.dev) and
// chrome://tracing.
//
// Layout: one process per traced run (pid), with these tracks (tid):
//
//     1        "GC cycles"     one complete event ("ph":"X") per cycle
//     2        "GC mark"       the mark phase of each cycle
//     3        "stop the world" every STW pause, named by its phase
//     100 + p  "P<p>"          goroutine run slices on processor p (RuntimeConfig.traceGoroutines)
//     200 + p  "P<p> GC work"  mark workers, assists and span sweeps on p
//
// Track names are metadata events ("ph":"M", "thread_name"/"process_name"); "thread_sort_index"
// keeps them in the order above. Timestamps ("ts") and durations ("dur") are microseconds
// (fractional, so nanosecond precision survives) from the trace's origin.

import TriColor
import Foundation

/// Encodes `GCEvent`s as Chrome trace-event JSON.
public enum ChromeTrace {
    /// One run to put in a trace: its events, a display name and the time origin (nanotime).
    public struct Process: Sendable {
        public var name: String
        public var events: [GCEvent]
        public var origin: Int64
        public init(name: String, events: [GCEvent], origin: Int64) {
            self.name = name
            self.events = events
            self.origin = origin
        }
    }

    /// The track (tid) of an event.
    public static func track(of e: GCEvent) -> Int {
        switch e.kind {
        case .cycle: return 1
        case .mark: return 2
        case .stw: return 3
        case .run: return 100 + max(0, e.p)
        case .assist, .worker, .sweep: return 200 + max(0, e.p)
        }
    }

    static func trackName(_ tid: Int) -> String {
        switch tid {
        case 1: return "GC cycles"
        case 2: return "GC mark"
        case 3: return "stop the world"
        case 100..<200: return "P\(tid - 100)"
        default: return "P\(tid - 200) GC work (workers, assists, sweeps)"
        }
    }

    /// The trace document `{"traceEvents":[...],"displayTimeUnit":"ms"}` for `processes`
    /// (pid 1, 2, ... in order).
    /// - Complexity: O(total events).
    public static func encode(_ processes: [Process]) -> String {
        var items: [String] = []
        for (i, proc) in processes.enumerated() {
            let pid = i + 1
            items.append(#"{"name":"process_name","ph":"M","pid":\#(pid),"tid":0,"args":{"name":\#(quote(proc.name))}}"#)
            let tids = Set(proc.events.map(track(of:))).sorted()
            for tid in tids {
                items.append(#"{"name":"thread_name","ph":"M","pid":\#(pid),"tid":\#(tid),"args":{"name":\#(quote(trackName(tid)))}}"#)
                items.append(#"{"name":"thread_sort_index","ph":"M","pid":\#(pid),"tid":\#(tid),"args":{"sort_index":\#(tid)}}"#)
            }
            for e in proc.events.sorted(by: { $0.start < $1.start }) {
                let ts = Double(e.start - proc.origin) / 1e3
                let dur = Double(max(0, e.end - e.start)) / 1e3
                var args = #""p":\#(e.p)"#
                if e.goroutine != 0 { args += #","goroutine":\#(e.goroutine)"# }
                items.append(#"{"name":\#(quote(e.name)),"cat":"\#(e.kind.rawValue)","ph":"X","ts":\#(num(ts)),"dur":\#(num(dur)),"pid":\#(pid),"tid":\#(track(of: e)),"args":{\#(args)}}"#)
            }
        }
        return "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n" + items.joined(separator: ",\n") + "\n]}\n"
    }

    /// A JSON number with three decimals (nanoseconds, in microseconds).
    static func num(_ v: Double) -> String { String(format: "%.3f", v) }

    /// A JSON string literal.
    static func quote(_ s: String) -> String {
        var o = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": o += "\\\""
            case "\\": o += "\\\\"
            case "\n": o += "\\n"
            case "\r": o += "\\r"
            case "\t": o += "\\t"
            default:
                if u.value < 0x20 { o += String(format: "\\u%04x", u.value) } else { o.unicodeScalars.append(u) }
            }
        }
        return o + "\""
    }
}
