import GMP
import Testing
@testable import TriColor

/// Finalizers (Go's runtime.SetFinalizer): run on the finalizer goroutine after the cycle
/// that found the object unreachable, with the object (and what it reaches) resurrected
/// for that one cycle; run once; freed by a later cycle; a reachable object's never runs.
@Suite struct FinalizerTests {
    @Test(arguments: CollectorKind.safe)
    func aFinalizerRunsOnceWithItsObjectResurrected(collector: CollectorKind) throws {
        let rt = try smallRuntime(collector)
        let node = rt.registerType(name: "Node", pointerFields: 1, scalarBytes: 8)
        let runs = Box(0)
        let seen = Box<(object: Ref, child: Int64, goroutine: Int64)?>(nil)
        try rt.run {
            let done = Channel<Void>(capacity: 1)
            let weak: WeakRef = rt.withFrame {
                let a = rt.allocSlot(node)
                let c = rt.alloc(node)
                rt.storeScalar(Int64(42), into: c, at: 0)
                rt.store(rt[a], 0, c)
                rt.setFinalizer(rt[a]) { slot in
                    runs.value += 1
                    #expect(rt.heap.validate(rt[slot]) == nil)
                    let child = rt.load(rt[slot], 0)
                    seen.value = (rt[slot], rt.loadScalar(child, at: 0, as: Int64.self), Goroutine.current!.id)
                    done.send(())
                }
                return rt.makeWeak(rt[a])
            }                                             // the object is unreachable now
            rt.collect()
            #expect(rt.strong(weak) == nil)               // weak refs clear before resurrection
            _ = done.receive()
            #expect(seen.value?.child == 42)
            #expect(seen.value?.goroutine != Goroutine.current!.id)
            rt.collect()
            rt.collect()
            for _ in 0..<10 { Goroutine.yield() }
            #expect(runs.value == 1)
            if let object = seen.value?.object {
                #expect(rt.heap.validate(object)?.contains("use of freed object") == true)
            }
        }
        #expect(runs.value == 1)
    }

    @Test func aReachableObjectsFinalizerDoesNotRunAndNilRemovesOne() throws {
        let rt = try smallRuntime(.hybrid)
        let node = rt.registerType(name: "Node", pointerFields: 1)
        let runs = Box(0)
        try rt.run {
            let kept = rt.allocSlot(node)
            rt.setFinalizer(rt[kept]) { _ in runs.value += 1 }
            rt.withFrame {
                let dropped = rt.allocSlot(node)
                rt.setFinalizer(rt[dropped]) { _ in runs.value += 100 }
                rt.setFinalizer(rt[dropped], nil)
            }
            rt.collect()
            rt.collect()
            for _ in 0..<20 { Goroutine.yield() }
            #expect(rt.heap.validate(rt[kept]) == nil)
        }
        #expect(runs.value == 0)
    }
}
