import CContext

// The surface a collector (or another layer above) sees of the scheduler's internals: who
// is running where, every goroutine, idle-priority work, and ARC-free hot-path accessors.

extension Processor {
    /// The P held by the calling thread's M (nil outside scheduler threads or while the M
    /// has no P, e.g. inside `Scheduler.syscall`). Valid until the goroutine's next safe
    /// point: after one it may run on another P.
    @inline(__always) public static var current: Processor? { Machine.current?.p }
}

extension Goroutine {
    /// The scheduler this goroutine belongs to.
    public var scheduler: Scheduler { sched }
}

extension Scheduler {
    /// Calls `body` for every goroutine that exists (including dead, reusable ones; check
    /// `currentStatus`). Take care: goroutines may start or stop concurrently unless the
    /// world is stopped.
    public func forEachGoroutine(_ body: (Goroutine) -> Void) {
        let gs = allgLock.withLock { allgs }
        for g in gs { body(g) }
    }

    /// Number of goroutines created and not yet exited, system goroutines included (a
    /// collector's workers and sweeper); `numGoroutine` counts the program's own.
    public var goroutineCount: Int { goroutineCounts.load(ordering: .relaxed) & Self.liveMask }

    /// The number of user goroutines that exist (Go's runtime.NumGoroutine): created,
    /// not yet exited, and not `Goroutine.isSystem`. The main goroutine counts. A snapshot:
    /// goroutines start and exit concurrently.
    public var numGoroutine: Int {
        let w = goroutineCounts.load(ordering: .relaxed)
        return w & Self.liveMask - w >> 32
    }
}

// Idle-priority work (`SchedulerHooks.onIdle`, `ParkingSpot`).

extension Scheduler {
    /// True if `p` (or the global queue) has goroutines waiting to run: idle-priority work
    /// should stop and yield (Go's pollWork).
    public func hasRunnableWork(_ p: Processor) -> Bool {
        !p.runqEmpty || runqsize != 0
    }

    /// Wakes an idle P (Go's wakep) so that its `SchedulerHooks.onIdle` hook is consulted:
    /// call when idle-priority work appears. Cheap when no P is idle.
    public func wakeIdleProcessor() {
        if deterministic { return }
        wakep()
    }
}

// Hot-path accessors for a collector's mutator API: ARC-free and exclusivity-check-free
// (they read `let` fields of borrowed objects and stable raw memory), and inlinable.

extension Processor {
    /// The calling thread's P's per-P storage cell: its pointee is `localStorage`
    /// unretained (nil when empty). Nil outside scheduler threads or while the M has no P
    /// (e.g. inside `Scheduler.syscall`). Like `current`, valid until the goroutine's next
    /// safe point; the object in the cell lives while the P's `localStorage` holds it.
    @inlinable @inline(__always)
    public static var currentLocalStorageCell: UnsafeMutablePointer<UnsafeMutableRawPointer?>? {
        guard let raw = tc_tls_m() else { return nil }
        return Unmanaged<Machine>.fromOpaque(raw)._withUnsafeGuaranteedRef { $0.pLocalCell.pointee }
    }
}

extension Goroutine {
    /// The calling goroutine's root storage (`roots`), or nil on a thread that is not
    /// running a goroutine. The pointer is stable for the goroutine's whole life, across
    /// safe points and moves between threads; only that goroutine may use it (see `roots`).
    @inlinable @inline(__always)
    public static var currentRoots: UnsafeMutablePointer<RootStorage>? {
        GoroutineRef.current?.withGoroutine { $0.rootsStorage }
    }

    /// The calling goroutine's allocation credit (`collectorCredit`), borrowed: no retain,
    /// no exclusivity check; nil when the caller is not running a goroutine. The pointer is
    /// stable for the goroutine object's life; only that goroutine may use it while it runs
    /// (a collector may touch it only while the goroutine is parked on its assist queue).
    @inlinable @inline(__always)
    public static var currentCreditCell: UnsafeMutablePointer<CollectorCredit>? {
        GoroutineRef.current?.withGoroutine { $0.creditStorage }
    }
}
