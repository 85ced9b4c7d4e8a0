import GCBenchKit
import GMP
import Synchronization
import Testing
@testable import TriColor

/// The soft memory limit (RuntimeConfig.memoryLimit, Pacer.swift) on a running program.
@Suite struct MemoryLimitTests {
    /// A 4 MiB live tree and steady garbage with GOGC=400, which alone would let the heap
    /// reach about 20 MiB: the limit keeps the span memory near 12 MiB instead.
    func peakHeap(limit: Int, live depth: Int, collector: CollectorKind = .hybrid,
                  deterministic: Bool = true, allocations: Int = 400_000) throws -> (peak: Int, rt: TriColorRuntime) {
        var c = RuntimeConfig()
        c.collector = collector
        c.arenaBytes = 1 << 30
        c.gogc = 400
        c.memoryLimit = limit
        c.scheduler.procs = 1
        if deterministic { c.scheduler = .deterministic(seed: 3) }
        let rt = try TriColorRuntime(c)
        let node = rt.registerType(name: "Node", pointerFields: 2, scalarBytes: 48)
        let peak = Atomic<Int>(0)
        try rt.run {
            rt.setGlobal(0, buildTree(rt, node, depth: depth))
            for i in 0..<allocations {
                let o = rt.alloc(node)
                rt.store(o, 0, o)
                if i & 255 == 0 { peak.max(rt.heap.heapInUseBytes) }
            }
        }
        return (peak.load(ordering: .relaxed), rt)
    }

    @Test(arguments: [CollectorKind.hybrid, .markSweep])
    func limitHoldsTheHeapUnderIt(_ kind: CollectorKind) throws {
        let limit = 12 << 20
        let unlimited = try peakHeap(limit: .max, live: 16, collector: kind).peak
        let limited = try peakHeap(limit: limit, live: 16, collector: kind).peak
        #expect(unlimited > limit * 3 / 2, "without the limit GOGC=400 grows past it: \(unlimited)")
        // Soft: one cycle's allocation during its mark and the spans in flight may pass it.
        #expect(limited <= limit + limit / 10, "peak \(limited) B over the \(limit) B limit")
    }

    /// The live heap alone exceeds the limit: cycles run back to back, GC passes half the
    /// CPU, the limiter stops assists, and the program runs on past the limit.
    @Test func cpuLimiterLetsTheHeapPassWhenLiveExceedsTheLimit() throws {
        let limit = 4 << 20
        let (peak, rt) = try peakHeap(limit: limit, live: 17, deterministic: false, allocations: 1_000_000)
        #expect(peak > limit)
        #expect(rt.stats.cycles > 10)
        #expect(rt.cpuLimiter.overflows.load(ordering: .relaxed) > 0, "the CPU limiter never engaged")
    }
}

@Test func memlimitDebugSetting() {
    var c = RuntimeConfig()
    #expect(c.apply(debug: "memlimit=33554432").isEmpty)
    #expect(c.memoryLimit == 32 << 20)
    #expect(c.apply(debug: "memlimit=lots") == ["memlimit=lots: want bytes"])
}

extension Atomic where Value == Int {
    func max(_ v: Int) {
        var cur = load(ordering: .relaxed)
        while v > cur {
            let (ok, now) = compareExchange(expected: cur, desired: v, ordering: .relaxed)
            if ok { return }
            cur = now
        }
    }
}
