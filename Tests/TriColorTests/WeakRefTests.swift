import GMP
import Testing
@testable import TriColor

/// Weak references (Go's weak.Pointer): cleared at the mark termination that finds the
/// target unreachable, never while it is reachable; a weak load during marking shades the
/// target, without which a snapshot collector frees an object a goroutine still holds.
@Suite struct WeakRefTests {
    @Test(arguments: CollectorKind.safe)
    func aWeakRefIsClearedOnlyOnceItsTargetIsUnreachable(collector: CollectorKind) throws {
        let rt = try smallRuntime(collector)
        let node = rt.registerType(name: "Node", pointerFields: 1)
        try rt.run {
            let a = rt.allocSlot(node)
            let kept = rt.makeWeak(rt[a])
            let child = rt.alloc(node)
            rt.store(rt[a], 0, child)
            let viaField = rt.makeWeak(child)
            let lost = rt.makeWeak(rt.alloc(node))        // reachable from nothing
            rt.collect()
            #expect(rt.strong(kept) == rt[a])
            #expect(rt.strong(viaField) == rt.load(rt[a], 0))
            #expect(rt.strong(lost) == nil)
            rt[a] = nil
            rt.collect()
            #expect(rt.strong(kept) == nil && rt.strong(viaField) == nil)
        }
    }

    /// One cycle stepped by hand (no timing involved): an object reachable only through a
    /// weak reference; marking begins and this goroutine's stack is scanned (black); the
    /// goroutine then loads the target through the weak reference into a stack slot; the
    /// mark finishes. Returns the target's colour right after the load (with the barrier
    /// buffer flushed) and what the checkmark found left unmarked.
    static func weakLoadWhileMarking(_ collector: CollectorKind) throws -> (ObjectColor?, [CheckmarkViolation]) {
        let rt = try smallRuntime(collector)
        let node = rt.registerType(name: "Node", pointerFields: 1)
        let out = Box<(ObjectColor?, [CheckmarkViolation])>((nil, []))
        try rt.run {
            let gc = rt.concurrentCollector!
            let held = rt.push(nil)
            let w = rt.makeWeak(rt.alloc(node))
            gc.stepBegin()
            gc.stepScanStack(Goroutine.current!)         // this stack is black (or was snapshotted)
            rt[held] = rt.strong(w)                       // the weak load, while marking
            let colour = gc.stepColor(rt[held])
            _ = gc.stepDrain()
            out.value = (colour, gc.stepFinish())
        }
        return out.value
    }

    @Test(arguments: [CollectorKind.insertion, .deletion, .hybrid])
    func weakLoadsWhileMarkingShadeTheTarget(collector: CollectorKind) throws {
        let (colour, violations) = try Self.weakLoadWhileMarking(collector)
        #expect(colour != .white, "the weakly-loaded target was left white while marking")
        #expect(violations.isEmpty, "\(violations.first.map(String.init(describing:)) ?? "")")
    }

    /// Test power: the hybrid collector without the shade on moved pointers (which weak
    /// loads use) loses the weakly-loaded object.
    @Test func withoutTheShadeTheHybridCollectorLosesTheObject() throws {
        var plan = CollectorKind.hybrid.plan
        plan.shadeMovedPointers = false
        let ablation = try CollectorKind.custom(name: "hybridNoMovedShade", plan: plan)
        let (colour, violations) = try Self.weakLoadWhileMarking(ablation)
        #expect(colour == .white)
        #expect(!violations.isEmpty, "the checkmark found nothing lost without the shade")
    }

    /// Entries live with their targets: a loop making and dropping 100,000 weak references
    /// to short-lived objects, with a collection every 2,000, reuses the entries the
    /// collections free (before: one entry per makeWeak, 100,001 here).
    @Test(arguments: CollectorKind.safe)
    func makingAndDroppingWeakRefsKeepsTheTableBounded(collector: CollectorKind) throws {
        let rt = try smallRuntime(collector)
        let node = rt.registerType(name: "Node", pointerFields: 1)
        let capacity = Box(0)
        try rt.run {
            let kept = rt.allocSlot(node)
            let keptWeak = rt.makeWeak(rt[kept])
            var first: WeakRef? = nil
            for i in 0..<100_000 {
                let w = rt.makeWeak(rt.alloc(node))       // reachable from nothing
                if i == 0 { first = w }
                if i % 2_000 == 1_999 { rt.collect() }
            }
            rt.collect()
            capacity.value = rt.weakRefs.capacity
            #expect(rt.weakRefs.inUse == 1)               // only the kept object's entry
            #expect(rt.strong(first!) == nil)             // its entry was reused: still nil
            #expect(rt.strong(keptWeak) == rt[kept])
        }
        #expect(capacity.value <= 4_096, "the weak table grew to \(capacity.value) entries")
    }

    /// One entry per object (Go's weak.Make(p) == weak.Make(p)); a WeakRef whose entry was
    /// freed and reused for another object reads nil, never the new target.
    @Test(arguments: [CollectorKind.markSweep, .hybrid])
    func oneEntryPerObjectAndAReusedEntryReadsNilForTheOldRef(collector: CollectorKind) throws {
        let rt = try smallRuntime(collector)
        let node = rt.registerType(name: "Node", pointerFields: 1)
        try rt.run {
            let a = rt.allocSlot(node)
            let w1 = rt.makeWeak(rt[a])
            #expect(rt.makeWeak(rt[a]) == w1)
            rt[a] = nil
            rt.collect()
            #expect(rt.strong(w1) == nil)
            let b = rt.allocSlot(node)
            let w2 = rt.makeWeak(rt[b])
            #expect(w2.index == w1.index && w2 != w1)    // the freed entry, reused
            #expect(rt.strong(w1) == nil)
            #expect(rt.strong(w2) == rt[b])
            #expect(rt.weakRefs.capacity == 1)
        }
    }
}
