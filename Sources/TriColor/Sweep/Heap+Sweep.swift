// Sweeping (Go's mgcsweep.go).
//
// After a mark, every in-use span's mark bits say which of its objects are
// live. Sweeping a span makes that the new allocation state:
//
//     allocBits <- markBits        (dead slots become free)
//     markBits, greyBits, checkmarkBits <- 0
//     freeIndex <- 0, allocCount <- number of marked slots
//
// and then either returns the span to the page heap (no object survived),
// or puts it on its CentralList's swept partial/full list.
//
// Sweep generations. The heap keeps sweepgen h, advanced by 2 with the world
// stopped right after each mark (`startSweepCycle`). A span's sweepgen is
//     h-2  needs sweeping        h-1  being swept       h  swept
//     h+1  cached before the sweep began, needs sweeping  h+3  swept, cached
// A sweeper claims a span with CAS(h-2 -> h-1), so two sweepers (a lazy
// sweep in an allocating thread's cacheSpan and the background `sweepOne`)
// can never sweep the same span, and an allocator never allocates from an
// unswept span (it only takes spans whose sweepgen is h, or sweeps them
// first). After sweeping, the sweeper stores h with `.releasing`; whoever next
// takes the span (from a central list, under its lock) sees the new bitmaps.
//
// Who sweeps: lazily, the allocator that needs a span of that class
// (Heap.cacheSpan); proactively, a background sweeper calling `sweepOne()`
// in a loop; and before the next mark, `finishSweep()` with the world stopped
// (Go's finishsweep_m), so marking always starts from fully swept spans.
//
// Why it is safe: the mark bits of a span are stable once the mark ended (no
// mark runs during sweep); a span being swept is on no list and cached by no
// one (the CAS decides the single owner); spans are flushed from caches before
// h moves, so every unswept span is on an unswept list.
//
// Checked mode: the sweeper rewrites the header of each freed object with
// its type id and the GC cycle that found it dead (ObjectHeader), which is
// how a later use of a stale Ref is reported precisely.

import GMP

extension Heap {
    /// Claims `s` for sweeping: CAS sweepgen h-2 -> h-1.
    /// - Returns: `true` if this caller now owns the sweep of `s`.
    @inline(__always)
    func claimForSweep(_ s: HeapSpanPointer, sweepgen sg: UInt32) -> Bool {
        s.pointee.sweepgen.compareExchange(
            expected: sg &- 2, desired: sg &- 1,
            successOrdering: .acquiring, failureOrdering: .relaxed
        ).exchanged
    }

    /// Sweeps a span the caller has claimed (sweepgen == h-1).
    ///
    /// - Parameter preserve: `true` when the caller (cacheSpan) keeps the span:
    ///   it is neither freed nor put on a list. Otherwise the span goes back to
    ///   the page heap if empty, or onto its central swept list.
    /// - Returns: `true` if the span was returned to the page heap.
    /// - Complexity: O(bitmap words), plus O(freed objects) in checked mode.
    @discardableResult
    func sweep(_ s: HeapSpanPointer, preserve: Bool) -> Bool {
        let t0 = nanotime()
        defer {
            let t1 = nanotime()
            counters.sweepNanos.wrappingAdd(Int(t1 - t0), ordering: .relaxed)
            counters.spansSwept.wrappingAdd(1, ordering: .relaxed)
            sweepObserver?(t0, t1)
        }
        accessObserver?.sweptSpan()
        let sg = sweepgen.load(ordering: .acquiring)
        if s.pointee.sweepgen.load(ordering: .relaxed) != sg &- 1 {
            heapInvariantFailure("sweep: span at page \(s.pointee.startPage) not claimed "
                                 + "(sweepgen \(s.pointee.sweepgen.load(ordering: .relaxed)), heap \(sg))")
        }
        let cycle = gcCycle.load(ordering: .relaxed)
        let nelems = s.pointee.nelems
        let words = s.pointee.bitmapWords
        let freeIndex = s.pointee.freeIndex
        var live = 0
        for w in 0..<words {
            let marks = s.pointee.markBits[w].load(ordering: .relaxed)
            if checked || accessObserver != nil {
                // Slots allocated before this sweep: below freeIndex, or allocBit set.
                let lo = w << 6
                let below: UInt64 = freeIndex >= lo + 64 ? ~0 : (freeIndex <= lo ? 0 : (1 << UInt64(freeIndex - lo)) - 1)
                var dead = (s.pointee.allocBits[w] | below) & ~marks
                if lo + 64 > nelems { dead &= (1 << UInt64(nelems - lo)) &- 1 }
                while dead != 0 {
                    let i = lo + dead.trailingZeroBitCount
                    dead &= dead &- 1
                    let offset = s.pointee.base + UInt64(i) * s.pointee.elemSize
                    accessObserver?.freed(offset)
                    if checked { markFreed(at: offset, cycle: cycle) }
                }
            }
            s.pointee.allocBits[w] = marks
            s.pointee.markBits[w].store(0, ordering: .relaxed)
            s.pointee.greyBits[w].store(0, ordering: .relaxed)
            s.pointee.checkmarkBits[w].store(0, ordering: .relaxed)
            live += marks.nonzeroBitCount
        }
        let freed = s.pointee.allocCount - live
        if freed < 0 {
            heapInvariantFailure("sweep: span at page \(s.pointee.startPage) has \(live) marked objects "
                                 + "but only \(s.pointee.allocCount) allocated")
        }
        if freed > 0 {
            s.pointee.needsZero = true
            counters.objectsFreed.wrappingAdd(freed, ordering: .relaxed)
            counters.bytesFreed.wrappingAdd(freed * Int(s.pointee.elemSize), ordering: .relaxed)
        }
        s.pointee.allocCount = live
        s.pointee.freeIndex = 0
        s.resetAllocCache()
        if s.pointee.sizeClass == 0 {
            // A large span's single slot: freeIndex 1 means "allocated".
            s.pointee.freeIndex = live
            s.pointee.allocCache = 0
        }
        s.pointee.sweepgen.store(sg, ordering: .releasing)
        if preserve { return false }
        if live == 0 {
            pageHeap.free(s)
            return true
        }
        centrals[Int(s.pointee.sizeClass)].pushSwept(s, sweepgen: sg)
        return false
    }

    /// Writes the checked-mode freed header over the object at `offset`.
    private func markFreed(at offset: UInt64, cycle: UInt32) {
        let p = arena + Int(offset)
        let word = Heap.loadHeader(p)
        if ObjectHeader.isFreed(word) { return }
        Heap.storeHeader(p, ObjectHeader.freed(typeID: ObjectHeader.typeID(word),
                                              generation: ObjectHeader.generation(word), cycle: cycle))
    }

    /// Sweeps one unswept span, if any (Go's sweepone). Safe to call from a
    /// background sweeper thread concurrently with allocation.
    /// - Returns: `false` when no span was left to sweep.
    @discardableResult
    public func sweepOne() -> Bool {
        let sg = sweepgen.load(ordering: .acquiring)
        if sweptThrough.load(ordering: .acquiring) == sg { return false }
        let start = sweepCursor.load(ordering: .relaxed)
        for k in 0..<SizeClasses.count {
            let cls = (start + k) % SizeClasses.count
            if let s = centrals[cls].popUnswept(sweepgen: sg) {
                claimOrDie(s, sweepgen: sg)
                sweepCursor.store(cls, ordering: .relaxed)
                sweep(s, preserve: false)
                return true
            }
        }
        sweptThrough.store(sg, ordering: .releasing)
        return false
    }

    /// Sweeps every remaining unswept span (Go's finishsweep_m).
    /// - Returns: the number of spans swept.
    @discardableResult
    public func finishSweep() -> Int {
        var n = 0
        while sweepOne() { n += 1 }
        return n
    }

    /// `true` if no listed span needs sweeping. Spans in the middle of a lazy
    /// sweep by another thread are not counted.
    public var isSweepDone: Bool {
        let sg = sweepgen.load(ordering: .acquiring)
        return !centrals.contains { $0.hasUnswept(sweepgen: sg) }
    }

    /// Begins a sweep phase: every in-use span becomes "needs sweeping".
    /// Call right after a mark ends.
    /// - Precondition: the world is stopped, every AllocCache is flushed and
    ///   the previous sweep is finished (checked).
    public func startSweepCycle() {
        precondition(isSweepDone, "startSweepCycle: previous sweep not finished")
        sweepgen.wrappingAdd(2, ordering: .releasing)
    }
}
