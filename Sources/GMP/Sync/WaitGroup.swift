import CContext

/// Waits for a collection of goroutines to finish (Go's sync.WaitGroup).
public final class WaitGroup: @unchecked Sendable {
    /// Guards `counter` and `waiters`.
    private let lock = RuntimeLock()
    private var counter = 0
    private var waiters = WaitQueue()

    public init() {}

    /// Adds `delta` (may be negative). When the counter reaches zero every waiter wakes.
    /// A negative counter is a fatal error, as in Go.
    public func add(_ delta: Int) {
        var wake: [GoroutineRef] = []
        lock.lock()
        counter += delta
        guard counter >= 0 else {
            lock.unlock()
            preconditionFailure("sync: negative WaitGroup counter")
        }
        if counter == 0 {
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
        if counter == 0 {
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
