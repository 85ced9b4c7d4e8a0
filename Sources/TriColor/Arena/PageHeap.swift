// PageHeap: the page-level allocator (Go's mheap, pre-1.12 free-list design).
//
// The arena is one virtual reservation, divided into 8 KiB pages. Page 0 is
// never handed out, so arena offset 0 can serve as the nil Ref. Pages at or
// beyond `bumpPage` have never been used (still zero-filled from mmap); pages
// below it are tiled exactly by spans, each either in use or free.
//
// Free runs are span descriptors in state `.free`, kept on `freeSmall[n]`
// (runs of exactly n pages, n < 128) or on `freeLarge` (searched best-fit).
// Allocation of n pages:
//   1. first fit in freeSmall[n...127];
//   2. best fit in freeLarge;
//   3. bump: take fresh pages at bumpPage (known zero, needsZero = false).
//   A run bigger than needed is split and the tail goes back on a free list.
// Freeing coalesces with the free neighbours on both sides, so two adjacent
// free runs never exist (the coalescing invariant, checked by Heap.verify).
//
// spanMap (Go's h.spans) maps page -> descriptor:
//   - every page of an in-use span maps to that span;
//   - the first and last page of a free run map to the free run's descriptor
//     (so a freed neighbour can find it); interior pages of a free run are nil;
//   - pages at or beyond bumpPage are nil.
// Lookups by the mutator (Ref -> span) read spanMap without the lock; they are
// only valid for Refs to live objects, whose span cannot change under them.
//
// Descriptors come from slabs allocated with malloc and never returned while
// the heap lives (Go's fixalloc); dead descriptors are chained through `next`.
// Each descriptor owns fixed bitmap storage sized for the densest class.
//
// Small arenas outlive their heap (ArenaCache): a property-test campaign builds
// and drops a 4 MiB heap per schedule, and mmap, the first-touch page faults
// and munmap of its arena and spanMap were a tenth of each run. A dropped heap's
// reservation, zeroed below bumpPage, is exactly a fresh one, so the next heap
// of that size takes it instead of asking the kernel.

import GMP
import Synchronization

@usableFromInline
internal final class PageHeap: @unchecked Sendable {
    // @unchecked Sendable: every mutable field is protected by `lock`, except
    // `pagesInUse` (atomic) and `spanMap` entries (see file comment).

    /// Result of a page allocation request.
    enum Allocation {
        case span(HeapSpanPointer)
        /// The request would take pages in use past the limit.
        case overLimit
        /// The arena has no run of the requested length.
        case exhausted
    }

    /// Longest run kept on an exact-size list.
    static let maxSmallRun = 128
    static let slabSize = 64

    /// Protects free lists, bumpPage, descriptor pool and spanMap writes.
    let lock = RuntimeLock()
    /// Arena base address. Immutable.
    @usableFromInline let arena: UnsafeMutableRawPointer
    /// Bytes reserved. Immutable.
    let arenaBytes: Int
    /// Pages in the arena. Immutable.
    let arenaPages: Int
    /// Page -> span map; see the file comment.
    @usableFromInline let spanMap: UnsafeMutablePointer<HeapSpanPointer?>
    /// Runs of exactly n pages at index n. Protected by `lock`.
    var freeSmall: [SpanList]
    /// Runs of maxSmallRun pages or more. Protected by `lock`.
    var freeLarge = SpanList()
    /// First never-used page. Protected by `lock`.
    private(set) var bumpPage = 1
    /// Mirror of bumpPage for lock-free readers (validation). Written under
    /// `lock` with `.releasing`; read with `.acquiring`.
    let bumpPageMirror = Atomic<Int>(1)
    /// Pages in in-use spans. Written under `lock`; readable anywhere (relaxed).
    let pagesInUse = Atomic<Int>(0)
    /// The most `pagesInUse` has been since the last `resetPeak` (or the start). Written
    /// under `lock`; readable anywhere (relaxed).
    let peakPagesInUse = Atomic<Int>(0)
    /// Pages in free runs. Protected by `lock`.
    private(set) var pagesFree = 0
    /// Number of spans returned by `free` (statistic). Protected by `lock`.
    private(set) var spansReleased = 0
    /// Dead descriptors, chained through `next`. Protected by `lock`.
    private var deadDescriptors: HeapSpanPointer?
    /// Slab storage for deinit. Protected by `lock`.
    private var slabs: [(HeapSpanPointer, UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<Atomic<UInt64>>)] = []

    /// Reserves the arena. Returns nil if the OS refuses the reservation.
    init?(arenaBytes: Int) {
        let pageSize = SizeClasses.pageSize
        let bytes = (arenaBytes + pageSize - 1) & ~(pageSize - 1)
        precondition(bytes >= 2 * pageSize, "arena must hold at least two pages")
        let pages = bytes / pageSize
        let mapBytes = pages * MemoryLayout<HeapSpanPointer?>.stride
        let a: UnsafeMutableRawPointer, m: UnsafeMutableRawPointer
        if let r = ArenaCache.take(bytes: bytes) {
            (a, m) = (r.arena, r.spanMap)
        } else {
            guard let fresh = SystemMemory.reserve(bytes) else { return nil }
            guard let map = SystemMemory.reserve(mapBytes) else {
                SystemMemory.release(fresh, bytes)
                return nil
            }
            (a, m) = (fresh, map)
        }
        arena = a
        self.arenaBytes = bytes
        arenaPages = pages
        spanMap = m.bindMemory(to: HeapSpanPointer?.self, capacity: pages)
        freeSmall = (0..<Self.maxSmallRun).map { _ in SpanList() }
    }

    deinit {
        // Pages at or beyond bumpPage were never touched, so zeroing those below it (and
        // their spanMap entries) returns the reservation to its fresh state.
        let kept = ArenaCache.give(ArenaCache.Reservation(arena: arena, spanMap: UnsafeMutableRawPointer(spanMap),
                                                          bytes: arenaBytes), touchedPages: bumpPage)
        if !kept {
            SystemMemory.release(arena, arenaBytes)
            SystemMemory.release(UnsafeMutableRawPointer(spanMap), arenaPages * MemoryLayout<HeapSpanPointer?>.stride)
        }
        let words = SizeClasses.bitmapWords * Self.slabSize
        for (descs, bits, atomics) in slabs {
            descs.deinitialize(count: Self.slabSize)
            descs.deallocate()
            bits.deallocate()
            atomics.deinitialize(count: 3 * words)
            atomics.deallocate()
        }
    }

    // MARK: Descriptors

    /// A descriptor that never describes pages: the "empty span" an AllocCache
    /// points at when it caches nothing for a class (Go's `emptymspan`). Its
    /// nelems is 0, so every allocation attempt from it falls to the slow path.
    func makeSentinel() -> HeapSpanPointer {
        lock.withLock { newDescriptor() }
    }

    /// A dead descriptor, allocating a slab if needed. Caller holds `lock`.
    private func newDescriptor() -> HeapSpanPointer {
        if deadDescriptors == nil { addSlab() }
        let s = deadDescriptors!
        deadDescriptors = s.pointee.next
        s.pointee.next = nil
        return s
    }

    /// Returns a descriptor to the dead list. Caller holds `lock`.
    private func releaseDescriptor(_ s: HeapSpanPointer) {
        precondition(s.pointee.onList == 0, "releaseDescriptor: span still on a list")
        s.pointee.state = .dead
        s.pointee.next = deadDescriptors
        deadDescriptors = s
    }

    private func addSlab() {
        let n = Self.slabSize
        let w = SizeClasses.bitmapWords
        let descs = HeapSpanPointer.allocate(capacity: n)
        let bits = UnsafeMutablePointer<UInt64>.allocate(capacity: n * w)
        bits.initialize(repeating: 0, count: n * w)
        let atomics = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: 3 * n * w)
        for i in 0..<(3 * n * w) { (atomics + i).initialize(to: Atomic(0)) }
        for i in 0..<n {
            (descs + i).initialize(to: HeapSpan(
                allocBits: bits + i * w,
                markBits: atomics + (3 * i) * w,
                greyBits: atomics + (3 * i + 1) * w,
                checkmarkBits: atomics + (3 * i + 2) * w))
            (descs + i).pointee.next = deadDescriptors
            deadDescriptors = descs + i
        }
        slabs.append((descs, bits, atomics))
    }

    // MARK: Free lists

    private func insertFree(_ s: HeapSpanPointer) {
        let n = s.pointee.pageCount
        if n < Self.maxSmallRun { freeSmall[n].push(s) } else { freeLarge.push(s) }
        spanMap[s.pointee.startPage] = s
        spanMap[s.pointee.startPage + n - 1] = s
        pagesFree += n
    }

    private func removeFree(_ s: HeapSpanPointer) {
        let n = s.pointee.pageCount
        if n < Self.maxSmallRun { freeSmall[n].remove(s) } else { freeLarge.remove(s) }
        spanMap[s.pointee.startPage] = nil
        spanMap[s.pointee.startPage + n - 1] = nil
        pagesFree -= n
    }

    // MARK: Allocate and free

    /// Allocates a span of `npages` pages in state `.inUse`, with startPage,
    /// pageCount, base and needsZero set and every page mapped to it.
    /// Size-class geometry is the caller's job.
    ///
    /// - Parameter limitPages: fail with `.overLimit` if pages in use would exceed this.
    /// - Complexity: O(npages) for the page map plus the free-list search.
    func allocate(pages npages: Int, limitPages: Int) -> Allocation {
        precondition(npages > 0)
        lock.lock()
        defer { lock.unlock() }
        if pagesInUse.load(ordering: .relaxed) + npages > limitPages { return .overLimit }

        var found: HeapSpanPointer? = nil
        if npages < Self.maxSmallRun {
            for n in npages..<Self.maxSmallRun where !freeSmall[n].isEmpty {
                found = freeSmall[n].first
                break
            }
        }
        if found == nil {
            freeLarge.forEach { s in
                let c = s.pointee.pageCount
                if c >= npages, found.map({ c < $0.pointee.pageCount }) ?? true { found = s }
            }
        }

        let s: HeapSpanPointer
        if let f = found {
            removeFree(f)
            s = f
            if f.pointee.pageCount > npages {
                let rest = newDescriptor()
                rest.pointee.state = .free
                rest.pointee.startPage = f.pointee.startPage + npages
                rest.pointee.pageCount = f.pointee.pageCount - npages
                rest.pointee.base = UInt64(rest.pointee.startPage) << SizeClasses.pageShift
                rest.pointee.needsZero = f.pointee.needsZero
                f.pointee.pageCount = npages
                insertFree(rest)
            }
        } else {
            if bumpPage + npages > arenaPages { return .exhausted }
            s = newDescriptor()
            s.pointee.startPage = bumpPage
            s.pointee.pageCount = npages
            s.pointee.needsZero = false
            bumpPage += npages
            bumpPageMirror.store(bumpPage, ordering: .releasing)
        }
        s.pointee.state = .inUse
        s.pointee.base = UInt64(s.pointee.startPage) << SizeClasses.pageShift
        for p in s.pointee.startPage..<(s.pointee.startPage + npages) { spanMap[p] = s }
        let inUse = pagesInUse.load(ordering: .relaxed) + npages
        pagesInUse.store(inUse, ordering: .relaxed)
        if inUse > peakPagesInUse.load(ordering: .relaxed) { peakPagesInUse.store(inUse, ordering: .relaxed) }
        return .span(s)
    }

    /// Starts a new peak measurement at the current pages in use.
    func resetPeak() {
        lock.withLock { peakPagesInUse.store(pagesInUse.load(ordering: .relaxed), ordering: .relaxed) }
    }

    /// Returns an in-use span's pages to the free lists, coalescing with free
    /// neighbours. The pages keep their contents (zeroed on reuse).
    /// - Precondition: `s` is in use and on no list; no one else references it.
    func free(_ s: HeapSpanPointer) {
        lock.lock()
        defer { lock.unlock() }
        precondition(s.pointee.state == .inUse, "PageHeap.free: span not in use")
        let start = s.pointee.startPage
        let n = s.pointee.pageCount
        for p in start..<(start + n) { spanMap[p] = nil }
        pagesInUse.store(pagesInUse.load(ordering: .relaxed) - n, ordering: .relaxed)
        spansReleased += 1
        s.pointee.state = .free
        s.pointee.needsZero = true
        s.pointee.sizeClass = 0

        var run = s
        if start > 1, let before = spanMap[start - 1], before.pointee.state == .free {
            removeFree(before)
            before.pointee.pageCount = before.pointee.pageCount + run.pointee.pageCount
            before.pointee.needsZero = true
            releaseDescriptor(run)
            run = before
        }
        let end = run.pointee.startPage + run.pointee.pageCount
        if end < bumpPage, let after = spanMap[end], after.pointee.state == .free {
            removeFree(after)
            run.pointee.pageCount = run.pointee.pageCount + after.pointee.pageCount
            releaseDescriptor(after)
        }
        insertFree(run)
    }

    /// Walks every span below bumpPage in address order. Caller holds `lock`
    /// or guarantees quiescence. Returns nil on success or a description of
    /// the first tiling error.
    func forEachSpan(_ body: (HeapSpanPointer) -> Void) -> String? {
        var p = 1
        while p < bumpPage {
            guard let s = spanMap[p] else { return "page \(p) is not covered by any span" }
            guard s.pointee.startPage == p, s.pointee.pageCount > 0 else {
                return "page \(p) maps to a span starting at page \(s.pointee.startPage)"
            }
            body(s)
            p += s.pointee.pageCount
        }
        return p == bumpPage ? nil : "spans overrun the bump page"
    }

    /// Pages ever used (page 0 excluded): the tiled region.
    var pagesTouched: Int { bumpPageMirror.load(ordering: .acquiring) - 1 }
}

/// Released arena reservations kept for the next heap of the same size (see the file
/// comment): at most `capacity` of them, each of at most `maxBytes`, so only the small
/// heaps that tests and property checks make by the thousand are kept, and a process
/// holds at most `capacity * maxBytes` of them. Every kept reservation is in the state
/// `SystemMemory.reserve` returns: arena and spanMap all zero.
enum ArenaCache {
    /// An arena reservation and its spanMap (`bytes / pageSize` entries).
    struct Reservation: @unchecked Sendable {
        // @unchecked Sendable: owned by exactly one of a PageHeap or the cache at a time
        // (handed over under `kept`'s lock).
        let arena: UnsafeMutableRawPointer
        let spanMap: UnsafeMutableRawPointer
        let bytes: Int
    }

    static let capacity = 4
    static let maxBytes = 16 << 20
    /// The kept reservations. Protected by its own lock.
    private static let kept = Mutex<[Reservation]>([])

    /// A kept reservation of exactly `bytes`, if any.
    static func take(bytes: Int) -> Reservation? {
        guard bytes <= maxBytes else { return nil }
        return kept.withLock { list in
            guard let i = list.firstIndex(where: { $0.bytes == bytes }) else { return nil }
            return list.remove(at: i)
        }
    }

    /// Keeps `r`, whose pages `0..<touchedPages` may have been written (later ones are
    /// still zero), if it is small and the cache has room: zeroes what was touched and
    /// returns true. Returns false (the caller releases it) otherwise.
    static func give(_ r: Reservation, touchedPages: Int) -> Bool {
        guard r.bytes <= maxBytes, kept.withLock({ $0.count < capacity }) else { return false }
        let pageSize = SizeClasses.pageSize
        r.arena.initializeMemory(as: UInt8.self, repeating: 0, count: min(r.bytes, touchedPages * pageSize))
        r.spanMap.initializeMemory(as: UInt8.self, repeating: 0,
                                   count: min(r.bytes / pageSize, touchedPages) * MemoryLayout<HeapSpanPointer?>.stride)
        return kept.withLock { list in
            guard list.count < capacity else { return false }
            list.append(r)
            return true
        }
    }
}
