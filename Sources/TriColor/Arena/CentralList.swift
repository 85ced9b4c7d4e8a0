// CentralList: the per-size-class span pool (Go's mcentral, mcentral.go).
//
// Spans of one size class that are not cached by any AllocCache live on one
// of four lists:
//
//     partial[swept] / partial[unswept]   spans with at least one free slot
//     full[swept]    / full[unswept]      spans with no free slot (as of their last sweep)
//
// Which physical list is "swept" flips every GC: index (sweepgen/2) % 2 holds
// spans swept in the current cycle, the other holds spans swept in the
// previous one, which after the heap's sweepgen += 2 are exactly the spans
// that need sweeping. So starting a sweep phase moves no span: it is one
// counter increment with the world stopped (Go's trick).
//
// cacheSpan (refill an AllocCache), in order:
//   1. pop a partial swept span                          -> use it
//   2. pop a partial unswept span, claim (CAS h-2 -> h-1), sweep it -> use it
//   3. pop a full unswept span, claim, sweep it -> use it if it now has room,
//      else push it on full[swept] and try the next one
//   4. ask the heap for a fresh span (may hit the heap limit).
// A cached span's sweepgen is h+3; uncacheSpan sets it back to h and puts it
// on the swept list matching its occupancy, or sweeps it first if it is stale
// (h+1: cached before the sweepgen moved). The heap flushes every cache with
// the world stopped before it moves sweepgen, so no collector leaves a stale
// cached span today; the h+1 path keeps uncacheSpan correct for a program on a
// bare Heap that moves sweepgen without flushing first.
//
// Invariant: every in-use span of this class is on exactly one of the four
// lists, or cached by exactly one AllocCache, or held by exactly one sweeper.
//
// All list operations happen under `lock`; sweeping happens outside it.

import GMP
import Synchronization

@usableFromInline
internal final class CentralList: @unchecked Sendable {
    // @unchecked Sendable: the lists are protected by `lock`; `sizeClass` is immutable.

    /// The size class served (0: large spans, which only use the full lists).
    let sizeClass: Int
    /// Protects `partial`, `full` and the links of spans on them.
    let lock = RuntimeLock()
    /// Partial spans, indexed by (sweepgen/2)%2 for swept. Protected by `lock`.
    var partial: [SpanList] = [SpanList(), SpanList()]
    /// Full spans, same indexing. Protected by `lock`.
    var full: [SpanList] = [SpanList(), SpanList()]

    init(sizeClass: Int) { self.sizeClass = sizeClass }

    @inline(__always)
    static func sweptIndex(_ sg: UInt32) -> Int { Int((sg >> 1) & 1) }

    /// Pushes a swept span on the swept list matching its occupancy.
    func pushSwept(_ s: HeapSpanPointer, sweepgen sg: UInt32) {
        let i = Self.sweptIndex(sg)
        lock.withLock {
            if s.pointee.allocCount == s.pointee.nelems { full[i].push(s) } else { partial[i].push(s) }
        }
    }

    /// Pops a span from the partial swept list.
    func popPartialSwept(sweepgen sg: UInt32) -> HeapSpanPointer? {
        lock.withLock { partial[Self.sweptIndex(sg)].pop() }
    }

    /// Pops a span that still needs sweeping, partial first.
    func popUnswept(sweepgen sg: UInt32) -> HeapSpanPointer? {
        let u = 1 - Self.sweptIndex(sg)
        return lock.withLock { partial[u].pop() ?? full[u].pop() }
    }

    /// Pops a span from the partial unswept list.
    func popPartialUnswept(sweepgen sg: UInt32) -> HeapSpanPointer? {
        lock.withLock { partial[1 - Self.sweptIndex(sg)].pop() }
    }

    /// Pops a span from the full unswept list.
    func popFullUnswept(sweepgen sg: UInt32) -> HeapSpanPointer? {
        lock.withLock { full[1 - Self.sweptIndex(sg)].pop() }
    }

    /// `true` if some span of this class may still need sweeping.
    func hasUnswept(sweepgen sg: UInt32) -> Bool {
        let u = 1 - Self.sweptIndex(sg)
        return lock.withLock { !partial[u].isEmpty || !full[u].isEmpty }
    }

    /// Number of spans on all four lists (for verification).
    func spanCount() -> Int {
        lock.withLock { partial[0].count + partial[1].count + full[0].count + full[1].count }
    }

    /// Calls `body` for each listed span with whether it is on a swept list.
    /// Caller guarantees quiescence.
    func forEachSpan(sweepgen sg: UInt32, _ body: (HeapSpanPointer, _ sweptList: Bool) -> Void) {
        let i = Self.sweptIndex(sg)
        lock.withLock {
            partial[i].forEach { body($0, true) }
            full[i].forEach { body($0, true) }
            partial[1 - i].forEach { body($0, false) }
            full[1 - i].forEach { body($0, false) }
        }
    }
}
