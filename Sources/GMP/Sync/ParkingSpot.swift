import CContext

/// A place where one goroutine parks until a scheduler hook claims it and runs it: the seam
/// for idle-priority work (`SchedulerHooks.onIdle`). The goroutine is published only after
/// it has fully parked (the lock is released on g0 after the switch), so a claimer always
/// gets a goroutine in `.waiting` state that it may make runnable.
public final class ParkingSpot: @unchecked Sendable {
    /// Guards `parked`.
    private let lock = RuntimeLock()
    private unowned(unsafe) var parked: Goroutine?
    private let reason: WaitReason

    public init(reason: WaitReason = .custom) { self.reason = reason }
    deinit { lock.deallocate() }

    /// Parks the calling goroutine until a hook claims it and the scheduler runs it.
    public func park() {
        let g = Goroutine.mustCurrent("ParkingSpot.park")
        lock.lock()
        precondition(parked == nil, "ParkingSpot.park: another goroutine is parked here")
        parked = g
        g.park(reason, unlocking: lock.raw)
    }

    /// Takes the parked goroutine (nil if none). For `SchedulerHooks.onIdle`: return it and the
    /// scheduler runs it on the idle P. Never blocks.
    public func claim() -> Goroutine? {
        guard lock.tryLock() else { return nil }
        defer { lock.unlock() }
        let g = parked
        parked = nil
        return g
    }
}

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
