// The checkmark finds a reachable object the collector failed to mark.

import GMP
import Testing
@testable import TriColor

@Suite struct CheckmarkTests {
    @Test func injectedMarkBugIsReportedWithAPath() throws {
        let heap = try makeHeap()
        let t = TestTypes(heap)
        let cache = heap.makeAllocCache()
        let a = try heap.allocate(t.node, in: cache)
        let b = try heap.allocate(t.leaf, in: cache)
        let other = try heap.allocate(t.node, in: cache)
        heap.storePointerNoBarrier(a, field: 1, b)
        heap.storePointerNoBarrier(other, field: 0, a)
        heap.storeGlobalNoBarrier(3, a)

        let gc = MarkSweep(heap: heap)
        gc.testHookSkipShade = { $0 == b }          // the "bug": never shade b
        gc.sweepTermination()
        gc.markRoots(RefArrayRoots([other]))
        gc.drain()
        let violations = heap.checkmark(roots: RefArrayRoots([other]))
        #expect(violations.count == 1)
        let v = try #require(violations.first)
        #expect(v.object == b)
        #expect(v.typeName == "Leaf")
        // Breadth-first: the global is the shortest path (root[0] -> other -> a -> b is longer).
        #expect(v.path == "root global[3] -> \(a) (Node).field 1 -> \(b) (Leaf)")
        #expect(v.description.contains("was not marked"))
        gc.testHookSkipShade = nil
        gc.markTermination()
    }

    @Test func correctMarkHasNoViolations() throws {
        let heap = try makeHeap()
        let t = TestTypes(heap)
        let cache = heap.makeAllocCache()
        // A random graph.
        var rng = SystemRandomNumberGenerator()
        var nodes: [Ref] = []
        for _ in 0..<3000 { nodes.append(try heap.allocate(t.node, in: cache)) }
        for n in nodes {
            for f in 0..<2 where Bool.random(using: &rng) {
                heap.storePointerNoBarrier(n, field: f, nodes.randomElement(using: &rng)!)
            }
        }
        heap.storeGlobalNoBarrier(0, nodes[0])
        let gc = MarkSweep(heap: heap)
        gc.sweepTermination()
        gc.markRoots(RefArrayRoots(Array(nodes[1..<10])))
        gc.drain()
        #expect(heap.checkmark(roots: RefArrayRoots(Array(nodes[1..<10]))).isEmpty)
        gc.markTermination()
    }

    @Test func checkmarkInCollectorStopsTheProgram() async {
        await #expect(processExitsWith: .failure) {
            let heap = try makeHeap()
            let t = TestTypes(heap)
            let cache = heap.makeAllocCache()
            let a = try heap.allocate(t.node, in: cache)
            let b = try heap.allocate(t.leaf, in: cache)
            heap.storePointerNoBarrier(a, field: 0, b)
            heap.storeGlobalNoBarrier(0, a)
            let gc = MarkSweep(heap: heap, checkmark: true)
            gc.testHookSkipShade = { $0 == b }
            gc.collect()
        }
    }
}

/// A stack root in a checkmark path names its goroutine and slot (the runtime's roots), not
/// only an index.
@Test func checkmarkPathNamesTheGoroutineAndSlot() throws {
    let rt = try TriColorRuntime(.stepping(.markSweep, checkLevel: .off))
    let node = rt.registerType(name: "Node", pointerFields: 1)
    let found = Box<[CheckmarkViolation]>([])
    let id = Box<Int64>(0)
    try rt.run {
        _ = rt.push(nil)
        let s = rt.allocSlot(node)
        rt.store(rt[s], 0, rt.alloc(node))
        rt.collect()
        // Lose the child's mark bit, as a broken collector would, before anything sweeps.
        let child = rt.load(rt[s], 0)
        let span = rt.heap.spanOf(child.offset)!
        span.pointee.clearMarked(span.pointee.objectIndex(child.offset))
        found.value = rt.heap.checkmark(roots: GoroutineRoots(scheduler: rt.scheduler))
        id.value = Goroutine.current!.id
    }
    let v = try #require(found.value.first)
    #expect(v.path.hasPrefix("root goroutine \(id.value) slot 1 -> "), "path: \(v.path)")
}
