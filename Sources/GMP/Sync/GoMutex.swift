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
    deinit { state.deallocate() }

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
            let g = gFrom(w.pointee.g)
            state.unlock()
            g.sched.ready(g)
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

/// Waits for a collection of goroutines to finish (Go's sync.WaitGroup).
public final class WaitGroup: @unchecked Sendable {
    /// Guards `counter` and `waiters`.
    private let lock = RuntimeLock()
    private var counter = 0
    private var waiters = WaitQueue()

    public init() {}
    deinit { lock.deallocate() }

    /// Adds `delta` (may be negative). When the counter reaches zero every waiter wakes.
    /// A negative counter is a fatal error, as in Go.
    public func add(_ delta: Int) {
        var wake: [Goroutine] = []
        lock.lock()
        counter += delta
        guard counter >= 0 else {
            lock.unlock()
            preconditionFailure("sync: negative WaitGroup counter")
        }
        if counter == 0 {
            while let w = waiters.dequeue() { wake.append(gFrom(w.pointee.g)) }
        }
        lock.unlock()
        for g in wake { g.sched.ready(g) }
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
