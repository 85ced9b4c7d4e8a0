import Foundation
import GMP
import Synchronization
import Testing
@testable import TriColor

/// The runtime with the markSweep collector: roots in stacks and globals, collection
/// while goroutines allocate on 2 Ps, the pacer, the heap limit, gctrace, forced GC.
@Suite(.serialized) struct RuntimeTests {
    func runtime(_ tweak: (inout RuntimeConfig) -> Void = { _ in }) throws -> TriColorRuntime {
        var c = RuntimeConfig()
        c.arenaBytes = 8 << 30
        c.scheduler.procs = 2
        c.checkLevel = .cheap
        tweak(&c)
        return try TriColorRuntime(c)
    }

    @Test func stackAndGlobalRootsSurviveGarbageIsFreed() throws {
        let rt = try runtime()
        let node = rt.registerType(name: "Node", pointerFields: 2, scalarBytes: 8)
        let results = Box<[String]>([])
        try rt.run {
            // Reachable only from a stack slot: a 3-element list.
            let head = rt.allocSlot(node)
            rt.storeScalar(Int64(1), into: rt[head], at: 0)
            for v in 2...3 {
                let n = rt.allocSlot(node)
                rt.storeScalar(Int64(v), into: rt[n], at: 0)
                rt.store(rt[n], 0, rt[head])
                rt[head] = rt[n]
            }
            // Reachable only from a global: a self-referencing object.
            let g = rt.alloc(node)
            rt.setGlobal(0, g)
            rt.store(rt.global(0), 1, rt.global(0))
            // Garbage: an unreachable 2-cycle and 100 loose objects.
            rt.withFrame {
                let a = rt.allocSlot(node), b = rt.allocSlot(node)
                rt.store(rt[a], 0, rt[b])
                rt.store(rt[b], 0, rt[a])
                for _ in 0..<100 { _ = rt.alloc(node) }
            }
            rt.collect()
            var vals: [Int64] = []
            var p = rt[head]
            while !p.isNil { vals.append(rt.loadScalar(p, at: 0, as: Int64.self)); p = rt.load(p, 0) }
            results.value.append("\(vals)")
            results.value.append("\(rt.load(rt.global(0), 1) == rt.global(0))")
            results.value.append("\(rt.heap.stats.liveObjects)")
        }
        // The slot list holds 3 (plus the 2 intermediate slot copies alias them), the global 1.
        #expect(results.value == ["[3, 2, 1]", "true", "4"])
        #expect(rt.stats.cycles == 1)
    }

    @Test func unreachableCyclesAreReclaimedAndMemoryReused() throws {
        let rt = try runtime { $0.gogc = nil }
        let node = rt.registerType(name: "Node", pointerFields: 1)
        let inUse = Box<[Int]>([])
        try rt.run {
            for _ in 0..<5 {
                rt.withFrame {
                    // A ring of 20,000 objects, then dropped.
                    let first = rt.allocSlot(node)
                    let prev = rt.push(rt[first])
                    for _ in 0..<20_000 {
                        let n = rt.alloc(node)
                        rt.store(rt[prev], 0, n)
                        rt[prev] = n
                    }
                    rt.store(rt[prev], 0, rt[first])
                }
                rt.collect()
                while rt.heap.sweepOne() {}
                inUse.value.append(rt.heap.heapInUseBytes)
            }
        }
        #expect(rt.heap.stats.liveObjects == 0)
        // Memory is reused: in-use bytes do not grow from round to round.
        #expect(inUse.value.max()! <= inUse.value.first! + 64 << 10, "\(inUse.value)")
    }

    /// Eight goroutines on 2 Ps build and rebuild lists in their stack slots while cycles
    /// run (checkmark on every cycle); every list stays intact.
    @Test func collectionWhileGoroutinesAllocate() throws {
        let rt = try runtime { $0.minimumHeapGoal = 256 << 10 }
        let node = rt.registerType(name: "Node", pointerFields: 1, scalarBytes: 8)
        let broken = Atomic<Int>(0)
        try rt.run {
            let wg = WaitGroup()
            for k in 0..<8 {
                wg.add(1)
                go {
                    let keep = rt.push(nil)
                    for round in 0..<40 {
                        rt[keep] = nil
                        for i in 0..<500 {
                            let n = rt.alloc(node)
                            rt.storeScalar(Int64(k * 1_000_000 + round * 1000 + i), into: n, at: 0)
                            rt.store(n, 0, rt[keep])
                            rt[keep] = n
                            _ = rt.alloc(node)  // garbage
                        }
                        var p = rt[keep], i = 499
                        while !p.isNil {
                            if rt.loadScalar(p, at: 0, as: Int64.self) != Int64(k * 1_000_000 + round * 1000 + i) {
                                broken.add(1, ordering: .relaxed)
                            }
                            p = rt.load(p, 0)
                            i -= 1
                        }
                        if i != -1 { broken.add(1, ordering: .relaxed) }
                    }
                    wg.done()
                }
            }
            wg.wait()
        }
        #expect(broken.load(ordering: .relaxed) == 0)
        #expect(rt.stats.cycles >= 5, "the pacer should have run several cycles: \(rt.stats.cycles)")
        #expect(rt.heap.verify().isEmpty)
    }

    /// Under a steady workload (fixed live size, steady garbage) the heap at each cycle
    /// start stays near the goal the previous cycle set.
    @Test func gogcKeepsHeapWithinGoal() throws {
        let rt = try runtime { $0.gogc = 100; $0.minimumHeapGoal = 1 << 20; $0.scheduler.procs = 1 }
        let node = rt.registerType(name: "Node", pointerFields: 1, scalarBytes: 48)
        try rt.run {
            // Live: a 20,000-node list (~1.3 MB).
            let keep = rt.push(nil)
            for _ in 0..<20_000 {
                let n = rt.alloc(node)
                rt.store(n, 0, rt[keep])
                rt[keep] = n
            }
            for _ in 0..<400_000 { _ = rt.alloc(node) }
        }
        let recs = rt.stats.records
        #expect(recs.count >= 5)
        for (prev, cur) in zip(recs, recs.dropFirst()) {
            // heapStart is heapLive when the cycle began: at most the goal plus one span per
            // size class in flight.
            #expect(cur.heapStart <= prev.nextGoal + (64 << 10), "cycle \(cur.cycle): \(cur.heapStart) > goal \(prev.nextGoal)")
            // The goal a cycle ran against (gctrace's) is the one its predecessor set.
            #expect(cur.goal == prev.nextGoal, "cycle \(cur.cycle): goal \(cur.goal), previous cycle set \(prev.nextGoal)")
        }
        let live = recs.last!.heapMarked
        #expect(live >= 20_000 * 64 && live < 20_000 * 64 * 2)
        // Go 1.18's goal: marked + (marked + stacks + globals) x GOGC/100; the stacks are the
        // main goroutine's one slot, the globals 1,024 words.
        #expect(recs.last!.nextGoal == max(1 << 20, live + (live + 8 + 1024 * 8)))
    }

    @Test func heapLimitErrorNamesLimitAndLive() {
        #expect {
            let rt = try runtime { $0.heapLimit = 4 << 20; $0.gogc = nil }
            let node = rt.registerType(name: "Node", pointerFields: 1, scalarBytes: 1000)
            try rt.run {
                let keep = rt.push(nil)
                while true {
                    let n = rt.alloc(node)
                    rt.store(n, 0, rt[keep])
                    rt[keep] = n
                }
            }
        } throws: { error in
            guard case .panic(_, let m) = error as? SchedulerError else { return false }
            return m.contains("heap limit exceeded: limit 4194304 bytes, live") && m.contains("GC cycle")
        }
    }

    @Test func forcedGCRunsWhenNoneRanForThePeriod() throws {
        let rt = try runtime { $0.forcedGCPeriodNS = 30_000_000 }
        try rt.run { Goroutine.sleep(nanoseconds: 200_000_000) }
        #expect(rt.stats.records.contains { $0.reason == .forced })
    }

    @Test func gctraceLineHasGoShape() {
        var r = GCCycleRecord(cycle: 7, reason: .heap, collector: .hybrid, start: 0, sweepTermNS: 15_000,
                              markNS: 2_100_000, markTermNS: 20_000, pauses: [15_000, 20_000], heapStart: 4 << 20,
                              heapEnd: 5 << 20, heapMarked: 2 << 20, nextGoal: 8 << 20, procs: 2, goal: 6 << 20, markedObjects: 1)
        (r.assistCPUNS, r.backgroundCPUNS, r.idleCPUNS) = (300_000, 1_050_000, 0)
        let line = gctraceLine(r, sinceStartNS: 1_234_000_000, gcFraction: 0.03)
        // cpu: pauses x 2 P around the measured assist/background/idle times.
        #expect(line == "gc 7 @1.234s 3%: 0.015+2.1+0.02 ms clock, 0.03+0.3/1.1/0+0.04 ms cpu, 4->5->2 MB, 6 MB goal, 2 P")
    }

    @Test func debugSettingsConfigureRuntime() {
        var c = RuntimeConfig()
        #expect(c.apply(debug: "gctrace=1,gccheckmark=1,gogc=50,collector=markSweep,gomaxprocs=3").isEmpty)
        #expect(c.gctrace && c.checkLevel == .cheap && c.gogc == 50 && c.scheduler.procs == 3)
        #expect(c.apply(debug: "gogc=off").isEmpty && c.gogc == nil)
        #expect(c.apply(debug: "collector=bogus").first?.contains("want one of markSweep") == true)
    }

    @Test func deterministicRuntimeIsReproducible() throws {
        func once(_ seed: UInt64) throws -> [Int64] {
            var c = RuntimeConfig()
            c.arenaBytes = 1 << 30
            c.checkLevel = .cheap
            c.minimumHeapGoal = 64 << 10
            c.scheduler = .deterministic(seed: seed)
            let rt = try TriColorRuntime(c)
            let node = rt.registerType(name: "Node", pointerFields: 1, scalarBytes: 8)
            let out = Box<[Int64]>([])
            try rt.run {
                let wg = WaitGroup()
                let mu = GoMutex()
                for k in 0..<3 {
                    wg.add(1)
                    go {
                        let keep = rt.push(nil)
                        for i in 0..<300 {
                            let n = rt.alloc(node)
                            rt.storeScalar(Int64(k * 1000 + i), into: n, at: 0)
                            rt.store(n, 0, rt[keep])
                            rt[keep] = n
                            if i % 50 == 0 { mu.withLock { out.value.append(Int64(k * 1000 + i)) } }
                        }
                        wg.done()
                    }
                }
                wg.wait()
                out.value.append(Int64(rt.heap.cycle))
            }
            return out.value
        }
        #expect(try once(11) == once(11))
        #expect(try once(11) != once(12))
    }
}

final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ v: T) { value = v }
}
