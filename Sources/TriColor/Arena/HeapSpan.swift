// HeapSpan: a run of pages (Go's mspan, mheap.go).
//
// A span is a contiguous run of 8 KiB pages in the arena. In use, it either
// holds objects of one size class (small span) or exactly one large object
// (class 0). Free, it is a run on the page heap's free lists.
//
// Allocation inside a small span follows Go's mspan/mbitmap.go:
//   - `allocBits` has one bit per object slot; set = allocated at the last sweep.
//   - `freeIndex` is the slot before which every slot is allocated (either it
//     was live at the last sweep or it has been handed out since). Slots at or
//     after freeIndex are free iff their allocBit is clear (Go's `isFree`).
//   - `allocCache` holds the complement of the 64 allocBits starting at the
//     64-aligned word containing freeIndex, shifted so bit 0 is freeIndex.
//     Its lowest set bit is the next free slot: one `ctz` per allocation.
//
// Side bitmaps, one bit per slot, each at most 1024 bits (16 words):
//   - `markBits` (Go's gcmarkBits): set by the marker; become allocBits at sweep.
//   - `greyBits`: set while the object sits on a mark work queue.
//   - `checkmarkBits`: used only by the checkmark verification pass.
// Mark, grey and checkmark words are atomics: concurrent markers, write
// barriers and the checks read and set them while mutators run (relaxed
// RMWs); a marker with the world stopped, or a concurrent marker with one P
// (Markers.oneP, MarkEngine.swift), uses the SingleMarker variants, a
// plain load and store. allocBits are plain words owned by whoever owns the span.
//
// Ownership (who may touch the mutable fields):
//   - cached in an AllocCache (sweepgen == h+3 or h+1): that cache's owner,
//     without a lock. This is the allocation fast path.
//   - on a central list: the list's lock holder.
//   - being swept (sweepgen == h-1): the sweeper that won the CAS.
//   - free / being carved: the page heap lock holder.
// Geometry (startPage, pageCount, base, elemSize, nelems, divMul, sizeClass)
// is written under the page heap lock when the span is allocated and is
// immutable while the span is in use.

import Synchronization

/// A pointer to a span descriptor. Descriptors live in page-heap-owned slabs
/// and are never moved or freed while the heap lives.
@usableFromInline
internal typealias HeapSpanPointer = UnsafeMutablePointer<HeapSpan>

/// The life-cycle state of a span descriptor (Go's `mSpanState`).
@usableFromInline
internal enum SpanState: UInt8 {
    /// On the descriptor free list; describes nothing.
    case dead
    /// A run of free pages on the page heap's free lists.
    case free
    /// Holding objects.
    case inUse
}

/// A span descriptor (Go's `mspan`). See the file comment for ownership rules.
@usableFromInline
internal struct HeapSpan: ~Copyable {
    // MARK: Geometry (immutable while in use; set under the page heap lock)

    /// Index of the first page in the arena.
    @usableFromInline var startPage: Int = 0
    /// Number of pages.
    @usableFromInline var pageCount: Int = 0
    /// Byte offset of the first object (startPage * pageSize).
    @usableFromInline var base: UInt64 = 0
    /// Bytes per slot (the class size; for a large span, pageCount * pageSize).
    @usableFromInline var elemSize: UInt64 = 0
    /// Number of slots.
    @usableFromInline var nelems: Int = 0
    /// Reciprocal for offset / elemSize (see SizeClasses).
    @usableFromInline var divMul: UInt32 = 0
    /// Size class, 0 for a large-object span.
    @usableFromInline var sizeClass: UInt8 = 0
    /// Descriptor state. Protected by the page heap lock.
    @usableFromInline var state: SpanState = .dead
    /// Slots (or pages, while free) may hold stale data and must be zeroed
    /// when handed out. Zeroing happens on allocation, not at free, so freed
    /// headers stay readable for checked-mode diagnostics.
    @usableFromInline var needsZero: Bool = false

    // MARK: Allocation state (owned per the file comment)

    /// Slots below this index are allocated.
    @usableFromInline var freeIndex: Int = 0
    /// Complement of allocBits from freeIndex (bit 0 == slot freeIndex).
    @usableFromInline var allocCache: UInt64 = 0
    /// Number of allocated slots.
    @usableFromInline var allocCount: Int = 0

    // MARK: Bitmaps (pointers fixed for the descriptor's life)

    @usableFromInline let allocBits: UnsafeMutablePointer<UInt64>
    @usableFromInline let markBits: UnsafeMutablePointer<Atomic<UInt64>>
    @usableFromInline let greyBits: UnsafeMutablePointer<Atomic<UInt64>>
    @usableFromInline let checkmarkBits: UnsafeMutablePointer<Atomic<UInt64>>

    // MARK: List links (protected by the lock of the list the span is on)

    @usableFromInline var next: HeapSpanPointer? = nil
    @usableFromInline var prev: HeapSpanPointer? = nil
    /// `SpanList.id` of the list the span is on, or 0. For assertions.
    @usableFromInline var onList: Int = 0

    // MARK: Sweep state

    /// Sweep generation relative to the heap's `sweepgen` h (Go's mspan.sweepgen):
    ///   h-2: needs sweeping;  h-1: being swept;  h: swept, ready to use;
    ///   h+1: cached before sweep began, still cached, needs sweeping;
    ///   h+3: swept and then cached.
    /// The heap adds 2 to h after every mark, with the world stopped.
    /// Claimed for sweeping only by CAS h-2 -> h-1.
    @usableFromInline let sweepgen: Atomic<UInt32>

    init(allocBits: UnsafeMutablePointer<UInt64>,
         markBits: UnsafeMutablePointer<Atomic<UInt64>>,
         greyBits: UnsafeMutablePointer<Atomic<UInt64>>,
         checkmarkBits: UnsafeMutablePointer<Atomic<UInt64>>) {
        self.allocBits = allocBits
        self.markBits = markBits
        self.greyBits = greyBits
        self.checkmarkBits = checkmarkBits
        self.sweepgen = Atomic(0)
    }
}

extension HeapSpan {
    /// Number of 64-bit words that cover `nelems` bits.
    @inlinable
    var bitmapWords: Int { (nelems + 63) >> 6 }

    /// End of the span, as an arena byte offset.
    @inlinable
    var limit: UInt64 { base &+ UInt64(pageCount) &* UInt64(SizeClasses.pageSize) }

    /// Index of the slot containing arena offset `offset` (Go's `objIndex`).
    /// - Precondition: base <= offset < limit.
    @inlinable @inline(__always)
    func objectIndex(_ offset: UInt64) -> Int {
        if sizeClass == 0 { return 0 }
        return Int((UInt64(truncatingIfNeeded: offset &- base) &* UInt64(divMul)) >> 32)
    }

    /// `true` if slot `index` is free (Go's `isFree`).
    @inlinable
    func isFree(_ index: Int) -> Bool {
        if index < freeIndex { return false }
        return allocBits[index >> 6] & (1 << UInt64(index & 63)) == 0
    }

    // MARK: Side bitmaps

    @inlinable @inline(__always)
    func isMarked(_ index: Int) -> Bool {
        markBits[index >> 6].load(ordering: .relaxed) & (1 << UInt64(index & 63)) != 0
    }

    /// Sets the mark bit of slot `index`; returns `true` if it was clear.
    @inlinable @inline(__always)
    func setMarked(_ index: Int) -> Bool {
        let mask: UInt64 = 1 << UInt64(index & 63)
        let w = index >> 6
        if markBits[w].load(ordering: .relaxed) & mask != 0 { return false }
        return markBits[w].bitwiseOr(mask, ordering: .relaxed).oldValue & mask == 0
    }

    // Single-marker variants (a stop-the-world mark with one marking thread, e.g.
    // MarkSweep, or a concurrent mark whose markers all run on the only P): a relaxed
    // load and store instead of a locked read-modify-write. Only correct when no other
    // thread touches the span's mark or grey bits meanwhile.

    /// `setMarked` for the only marker: returns `true` if the bit was clear.
    @inlinable @inline(__always)
    func setMarkedSingleMarker(_ index: Int) -> Bool {
        let mask: UInt64 = 1 << UInt64(index & 63)
        let w = index >> 6
        let old = markBits[w].load(ordering: .relaxed)
        if old & mask != 0 { return false }
        markBits[w].store(old | mask, ordering: .relaxed)
        return true
    }

    /// `setGrey` for the only marker.
    @inlinable @inline(__always)
    func setGreySingleMarker(_ index: Int) {
        let w = index >> 6
        greyBits[w].store(greyBits[w].load(ordering: .relaxed) | (1 << UInt64(index & 63)), ordering: .relaxed)
    }

    /// `clearGrey` for the only marker.
    @inlinable @inline(__always)
    func clearGreySingleMarker(_ index: Int) {
        let w = index >> 6
        greyBits[w].store(greyBits[w].load(ordering: .relaxed) & ~(1 << UInt64(index & 63)), ordering: .relaxed)
    }

    /// Clears the mark bit (test hooks and checkmark-injection only).
    func clearMarked(_ index: Int) {
        _ = markBits[index >> 6].bitwiseAnd(~(1 << UInt64(index & 63)), ordering: .relaxed)
    }

    @inlinable @inline(__always)
    func isGrey(_ index: Int) -> Bool {
        greyBits[index >> 6].load(ordering: .relaxed) & (1 << UInt64(index & 63)) != 0
    }

    @inlinable @inline(__always)
    func setGrey(_ index: Int) {
        _ = greyBits[index >> 6].bitwiseOr(1 << UInt64(index & 63), ordering: .relaxed)
    }

    @inlinable @inline(__always)
    func clearGrey(_ index: Int) {
        _ = greyBits[index >> 6].bitwiseAnd(~(1 << UInt64(index & 63)), ordering: .relaxed)
    }

    func isCheckmarked(_ index: Int) -> Bool {
        checkmarkBits[index >> 6].load(ordering: .relaxed) & (1 << UInt64(index & 63)) != 0
    }

    /// Sets the checkmark bit; returns `true` if it was clear.
    func setCheckmarked(_ index: Int) -> Bool {
        let mask: UInt64 = 1 << UInt64(index & 63)
        return checkmarkBits[index >> 6].bitwiseOr(mask, ordering: .relaxed).oldValue & mask == 0
    }

    /// Number of slots with the mark bit set.
    func countMarked() -> Int {
        var n = 0
        for w in 0..<bitmapWords { n += markBits[w].load(ordering: .relaxed).nonzeroBitCount }
        return n
    }
}

// Allocation-state mutators, as methods on the descriptor pointer rather than `mutating`
// methods of HeapSpan. A `mutating` call (or a compound assignment such as `+=`) through
// `s.pointee` is a formal modifying access of the whole struct: under ThreadSanitizer it is
// recorded as a write at the descriptor's first byte, which races with any other thread
// reading the geometry (startPage, at offset 0) of the same span, e.g. checked-mode
// `Heap.validate` of a live object in a span another P is allocating from, or several Ps
// "allocating" from the shared `emptySpan` sentinel at once. Plain reads and stores of
// individual fields through the pointer touch only those fields' bytes, so these methods
// read and write `pointee.field` one field at a time and never form an access to the
// whole struct. Release code is the same (loads and stores through the pointer).
extension UnsafeMutablePointer where Pointee == HeapSpan {
    /// Allocation fast path (Go's `nextFreeFast`): the offset of a free slot,
    /// or 0 if the cached 64 bits are exhausted or the next slot would cross
    /// into the next allocBits word (the slow path refills).
    /// On the `emptySpan` sentinel (allocCache 0) it only reads allocCache.
    /// - Complexity: O(1): one ctz, no atomics, no locks.
    @inlinable @inline(__always)
    func nextFreeFast() -> UInt64 {
        let cache = pointee.allocCache
        let theBit = cache.trailingZeroBitCount
        if theBit < 64 {
            let result = pointee.freeIndex &+ theBit
            if result < pointee.nelems {
                let freeidx = result &+ 1
                if freeidx & 63 == 0 && freeidx != pointee.nelems { return 0 }
                pointee.allocCache = cache >> UInt64(theBit &+ 1)
                pointee.freeIndex = freeidx
                pointee.allocCount = pointee.allocCount &+ 1
                return pointee.base &+ UInt64(result) &* pointee.elemSize
            }
        }
        return 0
    }

    /// Loads allocCache with the complement of allocBits word `word`.
    @inlinable
    func refillAllocCache(word: Int) {
        pointee.allocCache = ~pointee.allocBits[word]
    }

    /// Go's `nextFreeIndex`: advances freeIndex to the next free slot and
    /// returns it, or returns nelems if the span is full. Does not count the
    /// slot as allocated; the caller increments allocCount and freeIndex.
    @usableFromInline
    func nextFreeIndex() -> Int {
        var sfreeindex = pointee.freeIndex
        let snelems = pointee.nelems
        if sfreeindex == snelems { return sfreeindex }
        var bitIndex = pointee.allocCache.trailingZeroBitCount
        while bitIndex == 64 {
            sfreeindex = (sfreeindex + 64) & ~63
            if sfreeindex >= snelems {
                pointee.freeIndex = snelems
                return snelems
            }
            refillAllocCache(word: sfreeindex >> 6)
            bitIndex = pointee.allocCache.trailingZeroBitCount
        }
        let result = sfreeindex + bitIndex
        if result >= snelems {
            pointee.freeIndex = snelems
            return snelems
        }
        pointee.allocCache = pointee.allocCache >> UInt64(bitIndex + 1)
        sfreeindex = result + 1
        if sfreeindex & 63 == 0 && sfreeindex != snelems {
            refillAllocCache(word: sfreeindex >> 6)
        }
        pointee.freeIndex = sfreeindex
        return result
    }

    /// Resets allocCache to describe allocBits from the current freeIndex
    /// (Go's cacheSpan "havespan" step).
    func resetAllocCache() {
        let freeIndex = pointee.freeIndex
        if freeIndex >= pointee.nelems {
            pointee.allocCache = 0
            return
        }
        refillAllocCache(word: freeIndex >> 6)
        pointee.allocCache = pointee.allocCache >> UInt64(freeIndex & 63)
    }

    /// Zeroes every bitmap of the span.
    func clearAllBitmaps() {
        let allocBits = pointee.allocBits
        let markBits = pointee.markBits
        let greyBits = pointee.greyBits
        let checkmarkBits = pointee.checkmarkBits
        for w in 0..<SizeClasses.bitmapWords {
            allocBits[w] = 0
            markBits[w].store(0, ordering: .relaxed)
            greyBits[w].store(0, ordering: .relaxed)
            checkmarkBits[w].store(0, ordering: .relaxed)
        }
    }
}
