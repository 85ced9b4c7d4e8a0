// Allocation (Go's mallocgc, mcache.refill, mcentral.cacheSpan/uncacheSpan,
// mheap.alloc).
//
// Paths, fastest first:
//   1. fast path (inlined into the caller): the cache's span for the class
//      has a free slot in its 64-bit allocCache -> ctz, bump, write header.
//      No lock, no atomic read-modify-write, no counter.
//   2. nextFreeIndex: refill allocCache from the next allocBits word.
//   3. refill: swap the cache's span for another from the CentralList,
//      sweeping it first if it is unswept (lazy sweep).
//   4. grow: take fresh pages from the PageHeap. If that would pass the heap
//      limit, sweep every unswept span (which may free whole spans) and try
//      again; then throw `HeapError.limitExceeded`.
// Large objects (> 32 KiB) skip 1-3 and get a span of their own.
//
// Zeroing: memory is zeroed on allocation, not when freed, and only if the
// span's needsZero flag says it may be dirty (fresh arena pages are zero).
// Freed slots therefore keep their (checked-mode) freed headers until reuse.

import GMP
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Heap {
    /// Allocates a zeroed object of `type` through `cache`.
    ///
    /// All pointer fields are nil and all scalar bytes zero. The new object is
    /// white; it is not a root (see `Ref`).
    ///
    /// - Parameters:
    ///   - type: a type registered with this heap.
    ///   - cache: the caller's processor's cache; must not be used concurrently.
    /// - Throws: `HeapError.limitExceeded` when a new span would pass the heap
    ///   limit after sweeping everything (run a collection and retry),
    ///   `HeapError.arenaExhausted` when the arena has no room.
    /// - Complexity: O(1) amortized; the fast path is a ctz and two stores.
    @inlinable @inline(__always)
    public func allocate(_ type: ObjectType, in cache: AllocCache) throws(HeapError) -> Ref {
        let cls = Int(type.sizeClass)
        var r = Ref.nil
        if _fastPath(cls != 0) {
            let s = cache.spans[cls]
            let off = s.nextFreeFast()
            if _fastPath(off != 0) {
                let p = arena + Int(truncatingIfNeeded: off)
                // The header word is not zeroed: the header store overwrites it.
                if s.pointee.needsZero { Heap.zero(p + ObjectHeader.size, type.size &- ObjectHeader.size) }
                r = initHeader(p, off, type)
            }
        }
        if _slowPath(r.isNil) { r = try allocateSlow(type, in: cache) }
        // The publication barrier (Go's publicationBarrier in mallocgc): the zeroed fields and
        // the header are ordered before every later store, in particular the one that
        // publishes `r` (a field, a slot, a global). A marker on another P that loads `r`
        // from there reads the header and fields through that address, and the hardware
        // orders those dependent loads after the load of `r` (x86-64 and arm64 both; it is
        // C11's consume, which Go relies on too), so it never scans a stale header or stale
        // fields. On x86-64 this compiles to no instruction; on arm64 to one `dmb`.
        atomicMemoryFence(ordering: .releasing)
        return r
    }

    /// Zeroes `size` bytes (a multiple of 8) at `p`: inline word stores for small objects
    /// (no libc call on the fast path), memset for the rest.
    @inlinable @inline(__always)
    static func zero(_ p: UnsafeMutableRawPointer, _ size: Int) {
        if size <= 64 {
            var o = 0
            while o < size {
                p.storeBytes(of: 0, toByteOffset: o, as: UInt64.self)
                o &+= 8
            }
        } else {
            memset(p, 0, size)
        }
    }

    /// Paths 2-4 of the file comment.
    @usableFromInline @inline(never)
    func allocateSlow(_ type: ObjectType, in cache: AllocCache) throws(HeapError) -> Ref {
        precondition(type.id != 0 && Int(type.id) < types.count.load(ordering: .acquiring)
                     && (typeDescriptors[Int(type.id)] == type
                         || (type.isArray && typeDescriptors[Int(type.id)] == type.withLength(0))),
                     "allocate: type \(type.id) is not registered with this heap")
        if type.sizeClass == 0 { return try onSystemStack { () throws(HeapError) in try allocateLarge(type) } }
        let cls = Int(type.sizeClass)
        var s = cache.spans[cls]
        var index = s.nextFreeIndex()
        if index == s.pointee.nelems {
            try onSystemStack { () throws(HeapError) in try refill(cache, sizeClass: cls) }
            s = cache.spans[cls]
            index = s.nextFreeIndex()
            if index == s.pointee.nelems {
                heapInvariantFailure("refill returned a full span of class \(cls)")
            }
        }
        s.pointee.allocCount = s.pointee.allocCount + 1
        let off = s.pointee.base + UInt64(index) * s.pointee.elemSize
        let p = arena + Int(off)
        if s.pointee.needsZero { memset(p + ObjectHeader.size, 0, type.size - ObjectHeader.size) }
        return initHeader(p, off, type)
    }

    /// Writes the header of a new object of `type` at `p` (arena offset `off`) and returns
    /// its Ref. In checked mode the header and the Ref carry the slot's next allocation
    /// generation (ObjectHeader.swift), which is how a stale Ref to a reused slot is caught.
    /// - Complexity: O(1); outside checked mode one predictable branch on `checked` more
    ///   than a bare header store.
    @inlinable @inline(__always)
    func initHeader(_ p: UnsafeMutableRawPointer, _ off: UInt64, _ type: ObjectType) -> Ref {
        if _slowPath(checked) { return stampGeneration(p, off, type) }
        Heap.storeHeader(p, type.headerWord)
        return Ref(offset: off)
    }

    /// Checked mode's header store: the previous header of the slot (freed, or 0 if never
    /// allocated) gives the generation to follow.
    @usableFromInline @inline(never)
    func stampGeneration(_ p: UnsafeMutableRawPointer, _ off: UInt64, _ type: ObjectType) -> Ref {
        let g = ObjectHeader.nextGeneration(after: Heap.loadHeader(p))
        Heap.storeHeader(p, ObjectHeader.withGeneration(type.headerWord, g))
        return Ref(offset: off, generation: g)
    }

    /// Runs a refill or a large allocation on the system stack (Go's mallocgc does its span
    /// work there too): they take the heap's locks and walk span lists, and in unspecialised
    /// (debug) builds their first run instantiates type metadata, which needs more stack than
    /// a 16 KiB goroutine stack has. Once per span, so the switch is amortised.
    @inline(__always)
    private func onSystemStack<T>(_ body: () throws(HeapError) -> T) throws(HeapError) -> T {
        let r: Result<T, HeapError> = Goroutine.onSystemStack { Result { () throws(HeapError) -> T in try body() } }
        return try r.get()
    }

    /// Allocates a large object in a span of its own (Go's mcache.allocLarge).
    func allocateLarge(_ type: ObjectType) throws(HeapError) -> Ref {
        let pageSize = SizeClasses.pageSize
        let npages = (type.size + pageSize - 1) / pageSize
        let s = try allocateSpanPages(npages)
        s.pointee.sizeClass = 0
        s.pointee.elemSize = UInt64(npages * pageSize)
        s.pointee.nelems = 1
        s.pointee.divMul = 0
        s.clearAllBitmaps()
        s.pointee.freeIndex = 1
        s.pointee.allocCount = 1
        s.pointee.allocCache = 0
        let p = arena + Int(s.pointee.base)
        if s.pointee.needsZero { memset(p + ObjectHeader.size, 0, type.size - ObjectHeader.size) }
        let r = initHeader(p, s.pointee.base, type)
        let sg = sweepgen.load(ordering: .acquiring)
        s.pointee.sweepgen.store(sg, ordering: .releasing)
        centrals[0].pushSwept(s, sweepgen: sg)
        counters.bytesAllocated.wrappingAdd(npages * pageSize, ordering: .relaxed)
        counters.objectsAllocated.wrappingAdd(1, ordering: .relaxed)
        counters.heapLive.wrappingAdd(npages * pageSize, ordering: .relaxed)
        return r
    }

    /// Takes `npages` pages from the page heap, enforcing the heap limit.
    /// On failure sweeps every unswept span and retries once.
    func allocateSpanPages(_ npages: Int) throws(HeapError) -> HeapSpanPointer {
        var swept = false
        while true {
            switch pageHeap.allocate(pages: npages, limitPages: limitPages.load(ordering: .relaxed)) {
            case .span(let s):
                return s
            case .overLimit where swept:
                throw .limitExceeded(limit: limitBytes,
                                     live: counters.liveBytes.load(ordering: .relaxed),
                                     inUse: pageHeap.pagesInUse.load(ordering: .relaxed) * SizeClasses.pageSize,
                                     requested: npages * SizeClasses.pageSize)
            case .exhausted where swept:
                throw .arenaExhausted(arenaBytes: pageHeap.arenaBytes,
                                      requested: npages * SizeClasses.pageSize)
            default:
                // Go's mheap.reclaim: sweeping may return whole spans.
                while sweepOne() {}
                swept = true
            }
        }
    }

    /// Gets a span with a free slot for an AllocCache (Go's mcentral.cacheSpan).
    /// The returned span has sweepgen h+3 and a valid allocCache.
    func cacheSpan(sizeClass cls: Int) throws(HeapError) -> HeapSpanPointer {
        let sg = sweepgen.load(ordering: .acquiring)
        let c = centrals[cls]
        var span = c.popPartialSwept(sweepgen: sg)
        if span == nil, let u = c.popPartialUnswept(sweepgen: sg) {
            claimOrDie(u, sweepgen: sg)
            sweep(u, preserve: true)
            span = u
        }
        if span == nil {
            // Full unswept spans may have become partial. Bound the work like Go.
            var budget = 100
            while budget > 0, let u = c.popFullUnswept(sweepgen: sg) {
                budget -= 1
                claimOrDie(u, sweepgen: sg)
                sweep(u, preserve: true)
                if u.pointee.allocCount < u.pointee.nelems {
                    span = u
                    break
                }
                c.pushSwept(u, sweepgen: sg)
            }
        }
        if span == nil { span = try growSpan(sizeClass: cls, sweepgen: sg) }
        let s = span!
        s.pointee.sweepgen.store(sg &+ 3, ordering: .releasing)
        s.resetAllocCache()
        // Go's mcache.refill: count the whole free part of the span as live now.
        counters.heapLive.wrappingAdd((s.pointee.nelems - s.pointee.allocCount) * Int(s.pointee.elemSize), ordering: .relaxed)
        return s
    }

    /// Returns a span from an AllocCache to its CentralList (Go's uncacheSpan).
    func uncacheSpan(_ s: HeapSpanPointer, cachedAllocCount: Int) {
        let n = s.pointee.allocCount - cachedAllocCount
        // Go's mcache.releaseAll: take back the part of the span that was not used.
        counters.heapLive.wrappingAdd(-(s.pointee.nelems - s.pointee.allocCount) * Int(s.pointee.elemSize), ordering: .relaxed)
        if n > 0 {
            counters.bytesAllocated.wrappingAdd(n * Int(s.pointee.elemSize), ordering: .relaxed)
            counters.objectsAllocated.wrappingAdd(n, ordering: .relaxed)
        }
        let sg = sweepgen.load(ordering: .acquiring)
        let ssg = s.pointee.sweepgen.load(ordering: .acquiring)
        if ssg == sg &+ 1 {
            // Cached before the sweepgen moved: sweep it now.
            s.pointee.sweepgen.store(sg &- 1, ordering: .relaxed)
            sweep(s, preserve: false)
        } else {
            if ssg != sg &+ 3 {
                heapInvariantFailure("uncacheSpan: span at page \(s.pointee.startPage) has sweepgen \(ssg), heap \(sg)")
            }
            s.pointee.sweepgen.store(sg, ordering: .releasing)
            centrals[Int(s.pointee.sizeClass)].pushSwept(s, sweepgen: sg)
        }
    }

    /// A fresh span for class `cls` from the page heap (Go's mcentral.grow).
    func growSpan(sizeClass cls: Int, sweepgen sg: UInt32) throws(HeapError) -> HeapSpanPointer {
        let s = try allocateSpanPages(SizeClasses.classToPages[cls])
        let elem = SizeClasses.classToSize[cls]
        s.pointee.sizeClass = UInt8(cls)
        s.pointee.elemSize = UInt64(elem)
        s.pointee.nelems = s.pointee.pageCount * SizeClasses.pageSize / elem
        s.pointee.divMul = SizeClasses.divMul(for: elem)
        s.clearAllBitmaps()
        s.pointee.freeIndex = 0
        s.pointee.allocCount = 0
        if checked && s.pointee.needsZero { clearStaleHeaders(s) }
        s.pointee.sweepgen.store(sg, ordering: .releasing)
        return s
    }

    /// Checked mode: on reused pages, zeroes every slot's header word unless it is a
    /// checked-mode freed header. Slots are zeroed only when allocated, so a slot start of
    /// the new class may otherwise hold stale data from the pages' previous life (e.g. a
    /// field of an object of another class) that would read as a live header; validate
    /// tells live from free by the header alone (see Heap+Validate.swift). Freed headers
    /// are kept so a stale Ref there still reports the object it referred to.
    /// - Complexity: O(nelems); checked mode only.
    func clearStaleHeaders(_ s: HeapSpanPointer) {
        let base = s.pointee.base
        let elemSize = s.pointee.elemSize
        for i in 0..<s.pointee.nelems {
            let p = arena + Int(base + UInt64(i) * elemSize)
            let word = Heap.loadHeader(p)
            if word != 0 && !ObjectHeader.isFreed(word) { Heap.storeHeader(p, 0) }
        }
    }

    /// Claims a span popped from an unswept list (CAS h-2 -> h-1).
    func claimOrDie(_ s: HeapSpanPointer, sweepgen sg: UInt32) {
        if !claimForSweep(s, sweepgen: sg) {
            heapInvariantFailure("span at page \(s.pointee.startPage) on an unswept list has sweepgen "
                                 + "\(s.pointee.sweepgen.load(ordering: .relaxed)), expected \(sg &- 2)")
        }
    }
}
