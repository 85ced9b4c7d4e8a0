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
