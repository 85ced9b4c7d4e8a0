import Foundation
import GMP
import Synchronization
import Testing
import GCBenchKit
@testable import TriColor

/// Each safe collector on 2 Ps with 8 mutator goroutines doing random allocation, pointer
/// writes between heap, globals and stacks, channel transfers of Refs and goroutine
/// creation carrying Refs, for many cycles with checkmark on: no live object is ever freed
/// (checkmark would stop the run), and every structure keeps its contents.
@Suite(.serialized) struct ConcurrentStressTests {
    @Test(arguments: CollectorKind.safe)
    func mutatorsUnderConcurrentCollection(collector: CollectorKind) throws {
        var c = RuntimeConfig()
        c.collector = collector
        c.arenaBytes = 4 << 30
        c.scheduler.procs = 2
        c.checkLevel = .cheap
        c.minimumHeapGoal = 128 << 10
        let rt = try TriColorRuntime(c)
        let node = rt.registerType(name: "Node", pointerFields: 2, scalarBytes: 8)
        let corrupt = Atomic<Int>(0)
        try rt.run {
            let wg = WaitGroup()
            for k in 0..<8 {
                wg.add(1)
                go {
                    var rng = SplitMix64(seed: UInt64(k) &* 7919)
                    // A list whose node values are 0..<n from the tail: checkable.
                    let list = rt.push(nil)
                    var length = 0
                    let spare = rt.push(nil)
                    let ch = rt.makeChannel(capacity: 2)
                    for step in 0..<20_000 {
                        switch rng.next() % 8 {
                        case 0, 1, 2:  // grow the list
                            let n = rt.alloc(node)
                            rt.storeScalar(Int64(length), into: n, at: 0)
                            rt.store(n, 0, rt[list])
                            rt[list] = n
                            length += 1
                        case 3:  // garbage with a cycle
                            let a = rt.alloc(node)
                            rt.store(a, 1, a)
                        case 4:  // move a sublist between heap, global and stack
                            if !rt[list].isNil {
                                rt[spare] = rt.load(rt[list], 0)
                                rt.setGlobal(k, rt[spare])
                                rt.store(rt[list], 1, rt.global(k))
                                rt.setGlobal(k, nil)
                            }
                        case 5:  // channel transfer of the list head to ourselves
                            if k % 2 == 0 {
                                ch.send(list)
                                if let got = ch.receive() { rt[list] = rt[got] }
                            }
                        case 6:  // a child goroutine carrying the list verifies it
                            if step % 500 == 0 {
                                let len = length
                                wg.add(1)
                                rt.go(carrying: [rt[list]]) { slots in
                                    if !verify(rt, rt[slots[0]], len) { corrupt.add(1, ordering: .relaxed) }
                                    wg.done()
                                }
                            }
                        default:  // drop the list sometimes
                            if rng.next() % 20 == 0 { rt[list] = nil; length = 0 }
                        }
                    }
                    if !verify(rt, rt[list], length) { corrupt.add(1, ordering: .relaxed) }
                    wg.done()
                }
            }
            wg.wait()
            // Waits for a background cycle in progress, then runs a full one: the heap is
            // then between cycles, which `verify()` below expects.
            rt.collect()
        }
        #expect(corrupt.load(ordering: .relaxed) == 0)
        #expect(rt.stats.cycles >= 3, "\(collector): only \(rt.stats.cycles) cycles")
        #expect(rt.heap.verify().isEmpty)
    }
}

/// The list from `head` holds length-1, ..., 0 in field order 0.
func verify(_ rt: TriColorRuntime, _ head: Ref, _ length: Int) -> Bool {
    var p = head, want = length - 1
    while !p.isNil {
        if rt.loadScalar(p, at: 0, as: Int64.self) != Int64(want) { return false }
        p = rt.load(p, 0)
        want -= 1
    }
    return want == -1
}

/// While the only mutator sleeps during a mark, the idle P runs Go's idle-priority mark
/// worker (SchedulerHooks.onIdle + ParkingSpot).
@Test func idlePsRunIdleMarkWorkers() throws {
    var c = RuntimeConfig()
    c.collector = .hybrid
    c.arenaBytes = 4 << 30
    c.scheduler.procs = 2
    c.gogc = nil
    let rt = try TriColorRuntime(c)
    let node = rt.registerType(name: "Node", pointerFields: 2)
    try rt.run {
        // A complete binary tree of 2^17 - 1 nodes: wide enough to spill work to the pool.
        rt.setGlobal(0, buildTree(rt, node, depth: 17))
        for _ in 0..<5 {
            rt.startCollection()
            Goroutine.sleep(nanoseconds: 20_000_000)
            rt.collect()
        }
    }
    #expect(rt.concurrentCollector!.idleWorkerScans.load(ordering: .relaxed) > 0)
}
