import CContext

/// A one-goroutine parking spot with a wake-up permit (like Java's LockSupport or Go's
/// runtime note for goroutines): `park()` blocks the calling goroutine until `unpark()`;
/// an `unpark()` that comes first is remembered, so the next `park()` returns at once.
///
/// `unpark()` may be called from any thread, including threads that are not running a
/// goroutine (sysmon hooks use it to wake the forced-GC goroutine).
public final class Parker: @unchecked Sendable {
    /// Guards `waiter` and `permit`.
    private let lock = RuntimeLock()
    private unowned(unsafe) var waiter: Goroutine?
    private var permit = false
    private let reason: WaitReason

    public init(reason: WaitReason = .custom) { self.reason = reason }

    /// Parks the calling goroutine until `unpark()` (returns at once if a permit is
    /// pending). One goroutine at a time.
    public func park() {
        let g = Goroutine.mustCurrent("Parker.park")
        lock.lock()
        if permit {
            permit = false
            lock.unlock()
            return
        }
        precondition(waiter == nil, "Parker.park: goroutine \(waiter!.id) is already parked here")
        waiter = g
        g.park(reason, unlocking: lock.raw)
    }

    /// Wakes the parked goroutine, or leaves a permit for the next `park()`.
    public func unpark() {
        lock.lock()
        if let g = waiter {
            // Counted as a running M from before the waiter leaves this spot until it is on a
            // run queue, so `checkdead` cannot see it nowhere (Go's incidlelocked(-1) around
            // sysmon's injectglist). Matters when the caller is a thread without a P.
            let s = g.sched
            s.wakesInFlight.add(1, ordering: .sequentiallyConsistent)
            waiter = nil
            lock.unlock()
            s.ready(g)
            s.wakesInFlight.subtract(1, ordering: .sequentiallyConsistent)
        } else {
            permit = true
            lock.unlock()
        }
    }
}
