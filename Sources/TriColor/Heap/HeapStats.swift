// Heap statistics.

/// A snapshot of heap counters. Exact when taken with the world stopped and
/// every AllocCache flushed (`MarkSweep.collect` leaves the heap so);
/// otherwise allocation in cached spans is not yet counted.
public struct HeapStats: Sendable, CustomStringConvertible {
    /// Completed collections.
    public var collections: Int
    /// Marks begun (the cycle number in messages).
    public var cycle: Int
    /// Bytes (slot sizes) allocated since the heap was created.
    public var bytesAllocated: Int
    /// Objects allocated since the heap was created.
    public var objectsAllocated: Int
    /// Objects freed by sweeping since the heap was created.
    public var objectsFreed: Int
    /// Slot bytes freed by sweeping since the heap was created.
    public var bytesFreed: Int
    /// Object bytes (exact sizes) found live by the last mark.
    public var liveBytes: Int
    /// Objects found live by the last mark.
    public var liveObjects: Int
    /// Bytes of spans in use now (Go's HeapInuse).
    public var heapInUse: Int
    /// Bytes of spans in use when the last mark ended.
    public var heapInUseAtMark: Int
    /// Bytes of free page runs below the arena's high-water mark.
    public var heapFree: Int
    /// Spans returned to the page heap, ever.
    public var spansReleased: Int
    /// Spans swept, ever.
    public var spansSwept: Int
    /// Duration of the last mark, and of all marks, in nanoseconds.
    public var lastMarkNanos: Int
    public var totalMarkNanos: Int
    /// Time spent sweeping spans, ever, in nanoseconds (lazy and background).
    public var totalSweepNanos: Int

    /// (span bytes in use - live bytes) / span bytes in use, measured when
    /// the last mark ended; 0 before the first collection.
    public var fragmentation: Double {
        heapInUseAtMark == 0 ? 0 : Double(heapInUseAtMark - liveBytes) / Double(heapInUseAtMark)
    }

    public var description: String {
        "cycles \(collections), allocated \(bytesAllocated) B / \(objectsAllocated) objects, "
            + "freed \(bytesFreed) B / \(objectsFreed) objects, live \(liveBytes) B / \(liveObjects) objects, "
            + "in use \(heapInUse) B, fragmentation \(Int((fragmentation * 1000).rounded()) / 10)%, "
            + "mark \(lastMarkNanos) ns, sweep total \(totalSweepNanos) ns"
    }
}

extension Heap {
    /// Go's heapLive (see `HeapCounters.heapLive`): what the pacer compares with the trigger.
    @inlinable public var heapLiveBytes: Int { heapLiveLoad() }

    @usableFromInline func heapLiveLoad() -> Int { counters.heapLive.load(ordering: .relaxed) }

    /// Bytes of spans in use now (cheap: one relaxed load).
    public var heapInUseBytes: Int { pageHeap.pagesInUse.load(ordering: .relaxed) * SizeClasses.pageSize }

    /// The most bytes of spans that were in use at any moment since the last
    /// `resetPeakHeapInUse()` (or since the heap was made): updated whenever a span is
    /// allocated, so no peak between samples is missed.
    public var peakHeapInUseBytes: Int { pageHeap.peakPagesInUse.load(ordering: .relaxed) * SizeClasses.pageSize }

    /// Starts a new peak measurement (a benchmark's measured region).
    public func resetPeakHeapInUse() { pageHeap.resetPeak() }

    /// Sets heapLive to the bytes marked by the cycle that just ended (collector only,
    /// world stopped, caches flushed).
    func resetHeapLive(toMarked bytes: Int) { counters.heapLive.store(bytes, ordering: .relaxed) }

    /// A snapshot of the heap's counters. See `HeapStats` for exactness.
    public var stats: HeapStats {
        let c = counters
        let pageSize = SizeClasses.pageSize
        let free = pageHeap.lock.withLock { pageHeap.pagesFree }
        return HeapStats(
            collections: c.collections.load(ordering: .relaxed),
            cycle: Int(gcCycle.load(ordering: .relaxed)),
            bytesAllocated: c.bytesAllocated.load(ordering: .relaxed),
            objectsAllocated: c.objectsAllocated.load(ordering: .relaxed),
            objectsFreed: c.objectsFreed.load(ordering: .relaxed),
            bytesFreed: c.bytesFreed.load(ordering: .relaxed),
            liveBytes: c.liveBytes.load(ordering: .relaxed),
            liveObjects: c.liveObjects.load(ordering: .relaxed),
            heapInUse: pageHeap.pagesInUse.load(ordering: .relaxed) * pageSize,
            heapInUseAtMark: c.inUseAtMark.load(ordering: .relaxed),
            heapFree: free * pageSize,
            spansReleased: pageHeap.lock.withLock { pageHeap.spansReleased },
            spansSwept: c.spansSwept.load(ordering: .relaxed),
            lastMarkNanos: c.lastMarkNanos.load(ordering: .relaxed),
            totalMarkNanos: c.totalMarkNanos.load(ordering: .relaxed),
            totalSweepNanos: c.sweepNanos.load(ordering: .relaxed))
    }
}
