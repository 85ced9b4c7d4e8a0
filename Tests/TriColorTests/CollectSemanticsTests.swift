// rt.collect() has Go's runtime.GC() semantics: it returns with the mark AND the sweep
// done, so the heap's counters already show what the cycle freed; rt.stats holds them.

import GMP
import Testing
import TriColor

@Suite struct CollectSemanticsTests {
    @Test(arguments: CollectorKind.safe)
    func collectReturnsWithTheSweepDone(_ kind: CollectorKind) throws {
        var c = RuntimeConfig()
        c.collector = kind
        c.gogc = nil
        c.arenaBytes = 1 << 30
        c.scheduler.procs = 2
        let rt = try TriColorRuntime(c)
        let node = rt.registerType(name: "Node", pointerFields: 1, scalarBytes: 8)
        let seen = Box<[Int]>([])
        try rt.run {
            let keep = rt.allocSlot(node)
            for _ in 0..<5_000 { _ = rt.alloc(node) }           // garbage
            rt.collect()
            let s = rt.stats
            seen.value = [s.heap.objectsFreed, s.heap.liveObjects, s.cycles, s.heap.collections]
            _ = rt[keep]
        }
        // 5,000 garbage objects freed by the time collect() returned; the slot's object lives.
        #expect(seen.value[0] == 5_000, "\(kind): \(seen.value)")
        #expect(seen.value[1] == 1, "\(kind): \(seen.value)")
        #expect(seen.value[2] == 1 && seen.value[3] == 1, "\(kind): \(seen.value)")
    }
}
