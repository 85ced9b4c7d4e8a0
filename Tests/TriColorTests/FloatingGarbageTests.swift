import GMP
import Testing
@testable import TriColor

/// Floating garbage against a constructed heap: objects that die during a concurrent cycle
/// the collector still keeps, stepped by hand so exactly which ones is known.
@Suite struct FloatingGarbageTests {
    func runtime(_ kind: CollectorKind) throws -> TriColorRuntime {
        var c = RuntimeConfig.stepping(kind, checkLevel: .off)
        c.measureFloatingGarbage = true
        return try TriColorRuntime(c)
    }

    /// Yuasa's deletion barrier keeps what was reachable at the start: a child unlinked
    /// during the mark survives the cycle although nothing reaches it: floating garbage of
    /// exactly its size. An object already dead before the cycle is not floating.
    @Test func deletionBarrierKeepsAnUnlinkedChild() throws {
        let rt = try runtime(.deletion)
        let tA = rt.registerType(name: "A", pointerFields: 1)
        let tB = rt.registerType(name: "B", pointerFields: 1, scalarBytes: 40)
        let tDead = rt.registerType(name: "Dead", pointerFields: 0, scalarBytes: 200)
        let out = Box<(Int?, Int, [CheckmarkViolation])>((nil, 0, []))
        try rt.run {
            let gc = rt.concurrentCollector!
            rt.setGlobal(0, rt.alloc(tA))
            let b = rt.alloc(tB)
            rt.store(rt.global(0), 0, b)
            let c = rt.alloc(tB)                  // B -> C: dies with B
            rt.store(rt.load(rt.global(0), 0), 0, c)
            _ = rt.alloc(tDead)                   // garbage before the cycle starts
            gc.stepBegin()                        // roots grey, barrier on
            rt.store(rt.global(0), 0, nil)        // B (and C) unreachable from here on
            let v = gc.stepFinish()
            out.value = (gc.lastFloatingGarbage, tB.size, v)
        }
        #expect(out.value.2.isEmpty)
        #expect(out.value.0 == 2 * out.value.1, "B and C float: \(String(describing: out.value.0)) bytes")
    }

    /// Without the unlink, nothing floats.
    @Test func nothingFloatsWhenNothingDies() throws {
        let rt = try runtime(.hybrid)
        let tA = rt.registerType(name: "A", pointerFields: 1)
        let out = Box<Int?>(nil)
        try rt.run {
            let gc = rt.concurrentCollector!
            rt.setGlobal(0, rt.alloc(tA))
            rt.store(rt.global(0), 0, rt.alloc(tA))
            gc.stepBegin()
            _ = gc.stepFinish()
            out.value = gc.lastFloatingGarbage
        }
        #expect(out.value == 0)
    }

    /// A stop-the-world collector marks from a frozen heap: never floating garbage, and the
    /// cycle record says so.
    @Test func markSweepHasNone() throws {
        let rt = try runtime(.markSweep)
        let tA = rt.registerType(name: "A", pointerFields: 1)
        try rt.run {
            rt.setGlobal(0, rt.alloc(tA))
            rt.store(rt.global(0), 0, rt.alloc(tA))
            _ = rt.alloc(tA)
            rt.collect()
        }
        let recs = rt.stats.records
        #expect(recs.count == 1)
        #expect(recs[0].floatingGarbageBytes == 0)
    }
}
