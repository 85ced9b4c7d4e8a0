// AllocCache: a per-processor allocation cache (Go's mcache, mcache.go).
//
// Each processor (Go's P) owns one AllocCache, holding at most one span per
// size class. Allocation from the cached span needs no lock and no atomic
// read-modify-write, because no other thread touches a cached span's
// allocation state: the span is off every central list, its sweepgen says
// "cached" (h+3), and the sweeper only claims spans whose sweepgen is h-2.
//
// When the cached span is exhausted, `Heap.refill` returns it to its
// CentralList (uncacheSpan) and takes another (cacheSpan), sweeping it first
// if needed. Before the heap moves sweepgen (after a mark, world stopped) the
// collector flushes every cache (`Heap.flushCaches`) so no cached span
// carries allocation bits from before the mark.
//
// Allocation statistics are kept per span, not per object: when a span is
// cached its allocCount is remembered; when it is uncached the difference is
// added to the heap's counters. The fast path touches no counter.

/// A per-processor allocation cache. Create with `Heap.makeAllocCache()`.
///
/// Thread contract: at most one thread uses a cache at a time (the runtime gives
/// each P its own; a program on a bare Heap keeps one per thread). The heap flushes all caches with the world stopped.
public final class AllocCache: @unchecked Sendable {
    // @unchecked Sendable: owned by one thread at a time (its P); the heap
    // touches it only with the world stopped (flushCaches).

    /// Current span per size class; `emptySpan` when none. Raw storage, so
    /// the fast path pays no bounds check, ARC or exclusivity check.
    @usableFromInline let spans: UnsafeMutablePointer<HeapSpanPointer>
    /// allocCount of each cached span when it was cached (for statistics).
    let cachedAllocCount: UnsafeMutablePointer<Int>
    /// Identity of the owning heap, for preconditions.
    let heapID: ObjectIdentifier
    /// `false` once released; protected by the heap's cachesLock.
    var isRegistered = true
    private var storageFreed = false

    init(heap: Heap) {
        heapID = ObjectIdentifier(heap)
        spans = .allocate(capacity: SizeClasses.count)
        spans.initialize(repeating: heap.emptySpan, count: SizeClasses.count)
        cachedAllocCount = .allocate(capacity: SizeClasses.count)
        cachedAllocCount.initialize(repeating: 0, count: SizeClasses.count)
    }

    deinit { deallocateStorage() }

    /// Frees the raw storage (idempotent).
    func deallocateStorage() {
        if storageFreed { return }
        storageFreed = true
        spans.deallocate()
        cachedAllocCount.deallocate()
    }
}

extension Heap {
    /// Creates and registers an allocation cache (one per processor).
    public func makeAllocCache() -> AllocCache {
        let c = AllocCache(heap: self)
        cachesLock.withLock { caches.append(c) }
        return c
    }

    /// Returns the cache's spans to the central lists and unregisters it.
    /// The cache must not be used afterwards.
    /// - Precondition: no other thread is using the cache.
    public func releaseAllocCache(_ cache: AllocCache) {
        precondition(cache.heapID == ObjectIdentifier(self), "releaseAllocCache: cache of another heap")
        flush(cache)
        cachesLock.withLock {
            cache.isRegistered = false
            caches.removeAll { $0 === cache }
        }
    }

    /// Returns every registered cache's spans to the central lists (Go's
    /// mcache.releaseAll for each P).
    /// - Precondition: the world is stopped (no thread is allocating).
    public func flushCaches() {
        let all = cachesLock.withLock { caches }
        for c in all { flush(c) }
    }

    /// Returns one cache's spans. Caller owns the cache or the world is stopped.
    func flush(_ cache: AllocCache) {
        for cls in 1..<SizeClasses.count {
            let s = cache.spans[cls]
            if s != emptySpan {
                cache.spans[cls] = emptySpan
                uncacheSpan(s, cachedAllocCount: cache.cachedAllocCount[cls])
            }
        }
    }

    /// Replaces the cache's span of class `cls` with one that has a free slot
    /// (Go's mcache.refill).
    /// - Throws: `HeapError` if a new span is needed and cannot be had.
    @usableFromInline
    func refill(_ cache: AllocCache, sizeClass cls: Int) throws(HeapError) {
        let old = cache.spans[cls]
        if old != emptySpan {
            cache.spans[cls] = emptySpan
            uncacheSpan(old, cachedAllocCount: cache.cachedAllocCount[cls])
        }
        let s = try cacheSpan(sizeClass: cls)
        cache.spans[cls] = s
        cache.cachedAllocCount[cls] = s.pointee.allocCount
    }
}
