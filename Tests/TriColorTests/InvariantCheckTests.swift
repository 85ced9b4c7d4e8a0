import GMP
import Testing
@testable import TriColor

/// The invariant checker itself: a black -> white edge made behind the barrier's back is
/// reported as a strong-invariant violation under insertion, and as a weak-invariant
/// violation under hybrid once no grey object protects the white one.
@Suite struct InvariantCheckTests {
    func run(_ kind: CollectorKind, cutGreyPath: Bool) -> SchedulerError? {
        var c = RuntimeConfig.stepping(kind, checkLevel: .full)
        c.scheduler.reportPanics = false
        let rt = try! TriColorRuntime(c)
        let t = rt.registerType(name: "T", pointerFields: 1)
        do {
            try rt.run {
                let gc = rt.concurrentCollector!
                rt.setGlobal(0, rt.alloc(t))                 // a
                rt.setGlobal(1, rt.alloc(t))                 // b
                rt.store(rt.global(1), 0, rt.alloc(t))       // b.0 = c
                gc.stepBegin()
                gc.stepScan(rt.global(0))                    // a black
                let cRef = rt.load(rt.global(1), 0)
                rt.heap.storePointerNoBarrier(rt.global(0), field: 0, cRef)   // black a -> white c, no barrier
                if cutGreyPath { rt.heap.storePointerNoBarrier(rt.global(1), field: 0, nil) }
                gc.checker!.check(after: "test edit")
                _ = gc.stepFinish()
            }
        } catch { return error }
        return nil
    }

    @Test func strongInvariantViolationIsReported() {
        guard case .panic(_, let m)? = run(.insertion, cutGreyPath: false) else {
            Issue.record("no violation reported")
            return
        }
        #expect(m.contains("strong tri-colour invariant violated: black 0x"))
        #expect(m.contains("(T).field 0 -> white 0x") && m.contains("collector insertion") && m.contains("phase mark"))
    }

    @Test func weakInvariantHoldsWhileGreyProtectsThenFails() {
        // b (grey) still reaches c: the weak invariant holds.
        #expect(run(.hybrid, cutGreyPath: false) == nil)
        guard case .panic(_, let m)? = run(.hybrid, cutGreyPath: true) else {
            Issue.record("no violation reported")
            return
        }
        #expect(m.contains("weak tri-colour invariant violated") && m.contains("collector hybrid"))
    }
}

/// `.full` walks the heap between steps, which is only sound with one goroutine running at a
/// time: on 2 Ps with real threads the runtime refuses it, saying why and what to use.
@Test func fullChecksOnTwoRealPsAreRefused() {
    var c = RuntimeConfig()
    c.arenaBytes = 1 << 26
    c.checkLevel = .full
    c.scheduler.procs = 2
    #expect {
        _ = try TriColorRuntime(c)
    } throws: { error in
        guard case .invalidConfiguration(let m) = error as? HeapError else { return false }
        return m.contains("procs = 2") && m.contains("deterministic") && m.contains(".cheap")
    }
    c.scheduler.procs = 1
    #expect(throws: Never.self) { _ = try TriColorRuntime(c) }
    c.scheduler = .deterministic(seed: 1)
    #expect(throws: Never.self) { _ = try TriColorRuntime(c) }
}
