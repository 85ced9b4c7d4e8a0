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

    /// Builds `A -> n1 -> ... -> n50` (payloads 1...50) with a finalizer on A that walks the
    /// chain, validating each node (checked mode: a freed or reused node is reported), and
    /// sends how many it found; A is unreachable once this returns.
    static func finalizableChain(_ rt: TriColorRuntime, _ node: ObjectType, _ done: Channel<Int>) {
        rt.withFrame {
            let a = rt.allocSlot(node)
            let cur = rt.push(rt[a])
            for v in 1...50 {
                let n = rt.alloc(node)
                rt.storeScalar(Int64(v), into: n, at: 0)
                rt.store(rt[cur], 0, n)
                rt[cur] = n
            }
            rt.setFinalizer(rt[a]) { slot in
                var found = 0
                var p = rt.load(rt[slot], 0)
                while !p.isNil {
                    if rt.heap.validate(p) != nil { break }
                    if rt.loadScalar(p, at: 0, as: Int64.self) != Int64(found + 1) { break }
                    found += 1
                    p = rt.load(p, 0)
                }
                done.send(found)
            }
        }
    }

    /// Go's shape: what a finalizable object reaches is marked during the mark (the
    /// checkmark, with the finalizer queue as a root, verifies it every cycle), and the
    /// mark-termination pause only sets the queued object's own mark bit: the pause
    /// shades no referent (`shadedAtTermination` stays 0). The finalizer finds its whole
    /// chain after the sweep and after allocation reused what was freed.
    @Test(arguments: CollectorKind.safe)
    func whatAFinalizableObjectReachesIsMarkedDuringTheMarkNotInThePause(collector: CollectorKind) throws {
        let rt = try smallRuntime(collector)
        let node = rt.registerType(name: "Node", pointerFields: 1, scalarBytes: 8)
        let found = Box(-1)
        try rt.run {
            let done = Channel<Int>(capacity: 1)
            Self.finalizableChain(rt, node, done)
            rt.collect()
            rt.withFrame { for _ in 0..<200 { _ = rt.allocSlot(node) } }   // reuse freed memory
            found.value = done.receive()!
            #expect(rt.finalizers.shadedAtTermination == 0)
        }
        #expect(found.value == 50)
    }

    /// Test power for the one above: without the shade during the mark, the referents
    /// are still kept, but by the pause (its counter is then non-zero).
    @Test(arguments: [CollectorKind.markSweep, .hybrid])
    func withoutTheShadeDuringTheMarkThePauseMarksTheReferents(collector: CollectorKind) throws {
        let rt = try smallRuntime(collector)
        rt.finalizers.shadeReferentsWhileMarking = false
        let node = rt.registerType(name: "Node", pointerFields: 1, scalarBytes: 8)
        let found = Box(-1)
        try rt.run {
            let done = Channel<Int>(capacity: 1)
            Self.finalizableChain(rt, node, done)
            rt.collect()
            found.value = done.receive()!
            #expect(rt.finalizers.shadedAtTermination == 1)   // n1; the drain did the rest
        }
        #expect(found.value == 50)
    }

    /// A finalizer set while marking shades the object's referents at once (Go's
    /// addfinalizer), so the object can go unreachable before its stack slot is scanned
    /// and the pause still shades nothing.
    @Test(arguments: [CollectorKind.insertion, .hybrid])
    func aFinalizerSetWhileMarkingShadesTheReferentsAtOnce(collector: CollectorKind) throws {
        let rt = try smallRuntime(collector)
        let node = rt.registerType(name: "Node", pointerFields: 1)
        try rt.run {
            let gc = rt.concurrentCollector!
            let a = rt.allocSlot(node)
            let b = rt.push(rt.alloc(node))
            rt.store(rt[a], 0, rt[b])
            gc.stepBegin()
            #expect(gc.stepColor(rt[b]) == .white)
            rt.setFinalizer(rt[a]) { _ in }
            #expect(gc.stepColor(rt[b]) != .white)
            #expect(gc.stepColor(rt[a]) == .white)
            rt[a] = nil                                   // A is unreachable now
            rt[b] = nil
            gc.stepScanStack(Goroutine.current!)
            _ = gc.stepDrain()
            #expect(gc.stepFinish().isEmpty)
            #expect(rt.finalizers.shadedAtTermination == 0)
        }
    }

    /// As in Go: when A -> B and both have finalizers, B is reachable from A, so only A's
    /// finalizer runs in the first cycle; B's runs once A has been freed.
    @Test(arguments: [CollectorKind.markSweep, .hybrid])
    func inAChainOnlyTheFirstFinalizerRunsUntilItsObjectIsFreed(collector: CollectorKind) throws {
        let rt = try smallRuntime(collector)
        let node = rt.registerType(name: "Node", pointerFields: 1)
        let order = Box<[String]>([])
        try rt.run {
            let ran = Channel<Void>(capacity: 2)
            rt.withFrame {
                let a = rt.allocSlot(node)
                let b = rt.push(rt.alloc(node))
                rt.store(rt[a], 0, rt[b])
                rt.setFinalizer(rt[a]) { _ in order.value.append("A"); ran.send(()) }
                rt.setFinalizer(rt[b]) { _ in order.value.append("B"); ran.send(()) }
            }
            rt.collect()
            _ = ran.receive()
            #expect(order.value == ["A"])
            rt.collect()                                  // frees A; B is unreachable now
            rt.collect()
            _ = ran.receive()
        }
        #expect(order.value == ["A", "B"])
    }

    /// The finalizer goroutine is a system goroutine, but a finalizer's body holds Refs in
    /// its slots: a concurrent cycle while a body waits must scan its stack (the hybrid's
    /// concurrent stack scan skipped system goroutines, and freed the body's object).
    @Test(arguments: CollectorKind.safe)
    func aCycleWhileAFinalizerRunsKeepsWhatItsSlotsHold(collector: CollectorKind) throws {
        let rt = try smallRuntime(collector)
        let node = rt.registerType(name: "Node", pointerFields: 1, scalarBytes: 8)
        let got = Box<Int64>(0)
        try rt.run {
            let started = Channel<Void>(capacity: 1), proceed = Channel<Void>(capacity: 1)
            let done = Channel<Int64>(capacity: 1)
            rt.withFrame {
                let a = rt.allocSlot(node)
                rt.setFinalizer(rt[a]) { _ in
                    rt.withFrame {
                        let s = rt.allocSlot(node)
                        rt.storeScalar(Int64(77), into: rt[s], at: 0)
                        started.send(())
                        _ = proceed.receive()
                        done.send(rt.heap.validate(rt[s]) == nil ? rt.loadScalar(rt[s], at: 0, as: Int64.self) : -1)
                    }
                }
            }
            rt.collect()
            _ = started.receive()
            rt.collect()                                  // the body waits, holding its slot
            rt.withFrame { for _ in 0..<200 { _ = rt.allocSlot(node) } }
            proceed.send(())
            got.value = done.receive()!
        }
        #expect(got.value == 77)
    }
}
