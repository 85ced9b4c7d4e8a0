import CContext

/// A mutual-exclusion lock for goroutines (Go's sync.Mutex): a goroutine that cannot take
/// it parks (the thread runs other goroutines) and is handed the lock directly, in FIFO
/// order, when the holder unlocks. It may be unlocked by a different goroutine, as in Go.
///
/// Do not use `Synchronization.Mutex` or `NSLock` around code that can park or yield in a
/// goroutine: they identify the owner by thread, and a goroutine can resume on another
/// thread after any safe point.
public final class GoMutex: @unchecked Sendable {
    /// Guards `locked` and `waiters`.
    private let state = RuntimeLock()
    private var locked = false
    private var waiters = WaitQueue()

    public init() {}

    /// Takes the lock, parking the goroutine while another holds it. A safe point.
    public func acquire() {
        let g = Goroutine.mustCurrent("GoMutex.lock")
        Goroutine.safePoint()
        state.lock()
        if !locked {
            locked = true
            state.unlock()
            return
        }
        var w = Waiter(g)
        withUnsafeMutablePointer(to: &w) { wp in
            waiters.enqueue(wp)
            g.park(.mutex, unlocking: state.raw)
        }
        // Ownership was handed to us by release().
    }

    /// Takes the lock if it is free.
    public func tryAcquire() -> Bool {
        state.withLock {
            if locked { return false }
            locked = true
            return true
        }
    }

    /// Releases the lock, handing it to the longest waiter. Releasing an unlocked mutex is a
    /// fatal error ("sync: unlock of unlocked mutex").
    public func release() {
        state.lock()
        guard locked else {
            state.unlock()
            preconditionFailure("sync: unlock of unlocked mutex")
        }
        if let w = waiters.dequeue() {
            let g = w.pointee.g
            state.unlock()
            g.withGoroutine { $0.sched.ready($0) }
        } else {
            locked = false
            state.unlock()
        }
    }

    /// Go spelling of `acquire`.
    public func lock() { acquire() }
    /// Go spelling of `release`.
    public func unlock() { release() }

    /// Runs `body` holding the lock.
    public func withLock<R>(_ body: () throws -> R) rethrows -> R {
        acquire()
        defer { release() }
        return try body()
    }
}
