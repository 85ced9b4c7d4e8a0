import Foundation
import Testing
@testable import GCBenchKit
@testable import TriColor

/// Chrome trace-event JSON: parses, holds every event on its track, in microseconds.
@Suite struct MetricsChromeTraceTests {
    @Test func encodesEveryEventKind() throws {
        let t0: Int64 = 5_000_000_000
        let events = [
            GCEvent(kind: .cycle, name: "GC 1 (heap)", start: t0 + 1_000, end: t0 + 90_000),
            GCEvent(kind: .stw, name: "sweep termination", start: t0 + 1_000, end: t0 + 3_500),
            GCEvent(kind: .mark, name: "mark (hybrid)", start: t0 + 3_500, end: t0 + 80_000),
            GCEvent(kind: .assist, name: "assist", start: t0 + 10_000, end: t0 + 12_000, p: 1, goroutine: 7),
            GCEvent(kind: .run, name: "G7 \"quoted\"\n", start: t0, end: t0 + 20_000, p: 1, goroutine: 7),
            GCEvent(kind: .run, name: "G8", start: t0 + 20_000, end: t0 + 30_000, p: 0, goroutine: 8),
        ]
        let text = ChromeTrace.encode([.init(name: "live-churn hybrid", events: events, origin: t0)])
        let obj = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        let items = obj["traceEvents"] as! [[String: Any]]
        let complete = items.filter { $0["ph"] as? String == "X" }
        #expect(complete.count == events.count)
        let stw = complete.first { $0["cat"] as? String == "stw" }!
        #expect(stw["ts"] as? Double == 1.0)                 // microseconds from the origin
        #expect(stw["dur"] as? Double == 2.5)
        #expect(stw["tid"] as? Int == 3)
        let runs = complete.filter { $0["cat"] as? String == "run" }
        #expect(Set(runs.compactMap { $0["tid"] as? Int }) == [100, 101])
        #expect(runs.contains { $0["name"] as? String == "G7 \"quoted\"\n" })
        let assist = complete.first { $0["cat"] as? String == "assist" }!
        #expect(assist["tid"] as? Int == 201)
        #expect((assist["args"] as? [String: Any])?["goroutine"] as? Int == 7)
        let names = items.filter { $0["name"] as? String == "thread_name" }
            .compactMap { ($0["args"] as? [String: Any])?["name"] as? String }
        #expect(Set(names) == ["GC cycles", "GC mark", "stop the world", "P0", "P1", "P1 GC work (workers, assists, sweeps)"])
        #expect(items.contains { $0["name"] as? String == "process_name" })
    }
}
