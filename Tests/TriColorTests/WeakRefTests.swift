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

    /// Rounds of: an object reachable only through a weak reference; a cycle starts; while it
    /// marks, the goroutine keeps loading the target into its (soon black) stack slot. The
    /// checkmark (check level cheap) reports any reachable object left unmarked.
    /// Returns the panic message (nil: none) and how many weak loads ran while marking.
    static func weakLoadsWhileMarking(_ collector: CollectorKind, rounds: Int) throws -> (String?, Int) {
        let rt = try smallRuntime(collector)
        let node = rt.registerType(name: "Node", pointerFields: 1)
        let loads = Box(0)
        let message = panicMessage(rt) {
            let held = rt.push(nil)
            for _ in 0..<rounds {
                let w = rt.makeWeak(rt.alloc(node))
                rt[held] = nil
                rt.startCollection()
                var spins = 0
                while !rt.isMarking && spins < 100 { spins += 1; Goroutine.yield() }
                while rt.isMarking {
                    rt[held] = rt.strong(w)
                    loads.value += 1
                    Goroutine.yield()
                }
                rt.collect()                              // the next cycle checks what survived
                #expect(rt[held].isNil || rt.heap.validate(rt[held]) == nil)
            }
        }
        return (message, loads.value)
    }

    @Test(arguments: [CollectorKind.insertion, .deletion, .hybrid])
    func weakLoadsWhileMarkingShadeTheTarget(collector: CollectorKind) throws {
        let (message, loads) = try Self.weakLoadsWhileMarking(collector, rounds: 20)
        #expect(message == nil)
        #expect(loads > 0)
    }

    /// Test power: the hybrid collector without the shade on moved pointers (which weak
    /// loads use) loses the weakly-loaded object.
    @Test func withoutTheShadeTheHybridCollectorLosesTheObject() throws {
        var plan = CollectorKind.hybrid.plan
        plan.shadeMovedPointers = false
        let ablation = try CollectorKind.custom(name: "hybridNoMovedShade", plan: plan)
        let message = try #require(try Self.weakLoadsWhileMarking(ablation, rounds: 50).0)
        #expect(message.contains("GC:"), "\(message)")
    }
}
