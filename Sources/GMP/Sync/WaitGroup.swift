import CContext
import Synchronization

/// Waits for a collection of goroutines to finish (Go's sync.WaitGroup).
///
/// Every change of the counter that starts or ends at zero, and every waiter's look at it,
/// happens under `lock`, so a waiter either sees zero or is queued before the change to
/// zero dequeues the waiters. A change between two positive values (most `done` calls) is
/// one CAS without the lock, as Go's Add is one atomic add: no waiter can be woken by it.
public final class WaitGroup: @unchecked Sendable {
    /// Guards `waiters`, and the counter's changes to and from zero.
    private let lock = RuntimeLock()
    /// The counter. Changed by CAS (acquire-release, so the last change to zero carries
    /// every earlier `done`'s writes to the waiters it wakes); to or from zero only under
    /// `lock`. Read under `lock` by `wait`.
    private let counter = Atomic<Int>(0)
    private var waiters = WaitQueue()

    public init() {}

    /// Adds `delta` (may be negative). When the counter reaches zero every waiter wakes.
    /// A negative counter is a fatal error, as in Go.
    public func add(_ delta: Int) {
        var c = counter.load(ordering: .relaxed)
        while c > 0 && c + delta > 0 {
            let r = counter.compareExchange(expected: c, desired: c + delta, ordering: .acquiringAndReleasing)
            if r.exchanged { return }
            c = r.original
        }
        addSlow(delta)
    }

    /// `add` when the counter is or becomes zero (or negative): under `lock`.
    @inline(never)
    private func addSlow(_ delta: Int) {
        var wake: [GoroutineRef] = []
        lock.lock()
        let n = counter.wrappingAdd(delta, ordering: .acquiringAndReleasing).newValue
        guard n >= 0 else {
            lock.unlock()
            preconditionFailure("sync: negative WaitGroup counter")
        }
        if n == 0 {
            while let w = waiters.dequeue() { wake.append(w.pointee.g) }
        }
        lock.unlock()
        for g in wake { g.withGoroutine { $0.sched.ready($0) } }
    }

    public func done() { add(-1) }

    /// Parks the goroutine until the counter is zero. A safe point.
    public func wait() {
        let g = Goroutine.mustCurrent("WaitGroup.wait")
        Goroutine.safePoint()
        lock.lock()
        if counter.load(ordering: .acquiring) == 0 {
            lock.unlock()
            return
        }
        var w = Waiter(g)
        withUnsafeMutablePointer(to: &w) { wp in
            waiters.enqueue(wp)
            g.park(.waitGroup, unlocking: lock.raw)
        }
    }
}
