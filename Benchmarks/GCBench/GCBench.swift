import Foundation
import GMP
import GCBenchKit
import TriColor

/// Boehm's GCBench (after John Ellis and Pete Kovac's Java version, 1997): the classic
/// collector benchmark. It stretches the heap with a tree of depth D+2, keeps a long-lived
/// tree of depth D and a long-lived array of doubles (half filled), then for each depth
/// d = 4, 6, ..., D builds NumIters(d) = 2 * TreeSize(D+2) / TreeSize(d) trees top-down
/// (Populate: allocate the children of an existing node) and as many bottom-up (MakeTree:
/// allocate the children first), dropping each. Boehm's sizes are D = 16 and a 500,000
/// element array (`--depth 16`); the default D = 14 (array 125,000) keeps the default
/// suite short, and the array scales with the long-lived tree.
///
/// Nodes have two pointers and two ints (Boehm's `left, right, i, j`). Ref validity: the
/// node Populate fills is always reachable from a stack slot or from the long-lived tree,
/// so its Ref stays valid across the allocations; MakeTree keeps finished subtrees in
/// stack slots until their parent exists.
enum EllisKovac {
    static let minDepth = 4

    static func treeSize(_ d: Int) -> Int { (1 << (d + 1)) - 1 }

    static func run(_ s: RunSettings) -> HeapRun {
        let maxDepth = s.quick ? 10 : (s.depth ?? AllocSuite.defaultDepth)
        let stretchDepth = maxDepth + 2
        let longLivedDepth = maxDepth
        let arraySize = max(4_000, 500_000 >> max(0, 16 - maxDepth))
        let rt = makeRuntime(s)
        let node = rt.registerType(name: "Node", pointerFields: 2, scalarBytes: 16)
        let doubles = rt.registerType(name: "DoubleArray", pointerFields: 0, scalarBytes: 8 * arraySize)
        let window = Window()
        let nodesBuilt = Box(0)
        let log = LatencyLog()

        /// Gives `n` (reachable from a root) two new children, recursively, to depth `d`.
        @Sendable func populate(_ d: Int, _ n: Ref) {
            if d <= 0 { return }
            let l = rt.alloc(node)      // n stays valid: it is reachable
            rt.store(n, 0, l)
            let r = rt.alloc(node)
            rt.store(n, 1, r)
            populate(d - 1, rt.load(n, 0))
            populate(d - 1, rt.load(n, 1))
        }
        /// Builds a tree bottom-up; the result is valid until the next safe point.
        @Sendable func makeTree(_ d: Int) -> Ref {
            if d <= 0 { return rt.alloc(node) }
            return rt.withFrame {
                let l = rt.push(makeTree(d - 1))
                let r = rt.push(makeTree(d - 1))
                let n = rt.alloc(node)
                rt.store(n, 0, rt[l])
                rt.store(n, 1, rt[r])
                return n
            }
        }
        @Sendable func count(_ t: Ref) -> Int {
            if t.isNil { return 0 }
            return 1 + count(rt.load(t, 0)) + count(rt.load(t, 1))
        }

        do {
            try rt.run {
                window.begin(rt)
                defer { window.finish(rt) }
                var built = 0
                rt.withFrame {
                    // Stretch the heap, then drop the tree.
                    let temp = rt.push(makeTree(stretchDepth))
                    built += count(rt[temp])
                    rt[temp] = nil
                    // The long-lived tree (top-down) and the half-filled array.
                    let longLived = rt.allocSlot(node)
                    populate(longLivedDepth, rt[longLived])
                    let array = rt.allocSlot(doubles)
                    for i in 1..<(arraySize / 2) { rt.storeScalar(1.0 / Double(i), into: rt[array], at: 8 * i) }
                    var lat = OpLatency()
                    lat.start(at: nanotime())
                    for d in stride(from: minDepth, through: maxDepth, by: 2) {
                        let iters = 2 * treeSize(stretchDepth) / treeSize(d)
                        for _ in 0..<iters {                    // top-down
                            rt[temp] = rt.alloc(node)
                            populate(d, rt[temp])
                            rt[temp] = nil
                            lat.tick(at: nanotime())
                        }
                        for _ in 0..<iters {                    // bottom-up
                            rt[temp] = makeTree(d)
                            rt[temp] = nil
                            lat.tick(at: nanotime())
                        }
                        built += 2 * iters * treeSize(d)
                    }
                    log.add(lat)
                    precondition(count(rt[longLived]) == treeSize(longLivedDepth), "gcbench: the long-lived tree lost nodes")
                    precondition(rt.loadScalar(rt[array], at: 8 * 1000, as: Double.self) == 1.0 / 1000,
                                 "gcbench: the long-lived array was corrupted")
                }
                nodesBuilt.value = built
            }
        } catch { fatalError("gcbench: gcbench failed: \(error)") }
        return HeapRun(rt: rt, window: window, extra: ["nodes_built": Double(nodesBuilt.value)], latency: log.value)
    }
}
