import Foundation
import GMP
import Synchronization
import GCBenchKit
import TriColor

/// `lru-cache`: two goroutines, each with its own LRU cache on the heap: a hash table (a
/// Buckets object of 4096 chains of Entry objects) plus a doubly linked recency list
/// through the same entries, each entry owning a 64-byte Value. Keys are skewed (80% of
/// lookups go to 20% of the key space); a hit moves the entry to the front, a miss inserts
/// a new entry and value and, when full, evicts the least recently used one. Steady
/// eviction makes medium-lived garbage, and every operation is pointer surgery on old
/// objects. At the end both structures are checked (list length = chain entries = size).
/// `hit_rate` and `mops_per_s` are reported.
enum LRUCache {
    static let buckets = 4096
    // Cache fields.
    static let fBuckets = 0, fHead = 1, fTail = 2
    // Entry fields.
    static let fChain = 0, fPrev = 1, fNext = 2, fValue = 3

    static func run(_ s: RunSettings, capacity: Int, keys: Int, opsPerGoroutine: Int) -> HeapRun {
        let rt = makeRuntime(s)
        let window = Window()
        let cacheType = rt.registerType(name: "Cache", pointerFields: 3)
        let bucketsType = rt.registerType(name: "Buckets", pointerFields: buckets)
        let entryType = rt.registerType(name: "Entry", pointerFields: 4, scalarBytes: 8)
        let valueType = rt.registerType(name: "Value", pointerFields: 0, scalarBytes: 64)
        let hits = Atomic<Int>(0)
        let log = LatencyLog()
        do {
            try rt.run {
                window.begin(rt)
                runGoroutines(2) { g in
                    // Every Ref below is reachable from global g (the cache), so it stays
                    // valid across allocations; only a new entry lives in a stack slot
                    // until it is linked in.
                    rt.setGlobal(g, rt.alloc(cacheType))
                    let b = rt.alloc(bucketsType)
                    rt.store(rt.global(g), fBuckets, b)
                    var rng = SplitMix64(seed: UInt64(g + 11))
                    var size = 0, h = 0
                    func key(_ e: Ref) -> Int { rt.loadScalar(e, at: 0, as: Int.self) }
                    func unlink(_ cache: Ref, _ e: Ref) {
                        let prev = rt.load(e, fPrev), next = rt.load(e, fNext)
                        if prev.isNil { rt.store(cache, fHead, next) } else { rt.store(prev, fNext, next) }
                        if next.isNil { rt.store(cache, fTail, prev) } else { rt.store(next, fPrev, prev) }
                    }
                    func pushFront(_ cache: Ref, _ e: Ref) {
                        let head = rt.load(cache, fHead)
                        rt.store(e, fPrev, nil)
                        rt.store(e, fNext, head)
                        if head.isNil { rt.store(cache, fTail, e) } else { rt.store(head, fPrev, e) }
                        rt.store(cache, fHead, e)
                    }
                    var lat = OpLatency()
                    lat.start(at: nanotime())
                    defer { log.add(lat) }
                    for _ in 0..<opsPerGoroutine {
                        defer { lat.tick(at: nanotime()) }
                        let r = rng.next()
                        let k = r % 5 != 0 ? Int((r >> 8) % UInt64(keys / 5)) : Int((r >> 8) % UInt64(keys))
                        let slot = (k &* 0x9E37_79B9) & (buckets - 1)
                        let cache = rt.global(g)
                        let table = rt.load(cache, fBuckets)
                        var e = rt.load(table, slot)
                        while !e.isNil && key(e) != k { e = rt.load(e, fChain) }
                        if !e.isNil {
                            h += 1
                            _ = rt.loadScalar(rt.load(e, fValue), at: 0, as: Int.self)
                            if rt.load(cache, fHead) != e { unlink(cache, e); pushFront(cache, e) }
                            continue
                        }
                        if size == capacity {   // evict the least recently used entry
                            let victim = rt.load(cache, fTail)
                            unlink(cache, victim)
                            let vs = (key(victim) &* 0x9E37_79B9) & (buckets - 1)
                            var p = rt.load(table, vs)
                            if p == victim {
                                rt.store(table, vs, rt.load(victim, fChain))
                            } else {
                                while rt.load(p, fChain) != victim { p = rt.load(p, fChain) }
                                rt.store(p, fChain, rt.load(victim, fChain))
                            }
                            size -= 1
                        }
                        rt.withFrame {
                            let ne = rt.allocSlot(entryType)
                            rt.storeScalar(k, into: rt[ne], at: 0)
                            let v = rt.alloc(valueType)
                            rt.storeScalar(k, into: v, at: 0)
                            rt.store(rt[ne], fValue, v)
                            rt.store(rt[ne], fChain, rt.load(table, slot))
                            rt.store(table, slot, rt[ne])
                            pushFront(cache, rt[ne])
                        }
                        size += 1
                    }
                    hits.add(h, ordering: .relaxed)
                    // Check: the list and the chains both hold exactly `size` entries.
                    let cache = rt.global(g), table = rt.load(cache, fBuckets)
                    var listed = 0, e = rt.load(cache, fHead)
                    while !e.isNil { listed += 1; e = rt.load(e, fNext) }
                    var chained = 0
                    for i in 0..<buckets {
                        var c = rt.load(table, i)
                        while !c.isNil { chained += 1; c = rt.load(c, fChain) }
                    }
                    precondition(listed == size && chained == size, "lru-cache: list \(listed), chains \(chained), size \(size)")
                }
                window.finish(rt)
            }
        } catch { fatalError("gcbench: lru-cache failed: \(error)") }
        let ops = 2 * opsPerGoroutine
        let secs = Double(window.end - window.start) / 1e9
        return HeapRun(rt: rt, window: window, extra: ["hit_rate": Double(hits.load(ordering: .relaxed)) / Double(ops),
                                                       "mops_per_s": Double(ops) / secs / 1e6],
                       latency: log.value)
    }
}
