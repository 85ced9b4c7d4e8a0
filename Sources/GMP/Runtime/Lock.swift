import CContext

/// A scheduler-internal spin/futex lock (Go's `mutex` in lock_futex.go).
///
/// Unlike `Synchronization.Mutex` it records no thread identity, so code running on a
/// goroutine may take it on one thread and release it after a switch on another (the
/// channel code parks while the scheduler releases the lock on g0). It blocks the *thread*:
/// hold it only for short, non-yielding critical sections. Goroutine code that must wait
/// for long uses `GoMutex`, which parks the goroutine instead.
@usableFromInline
struct RuntimeLock: @unchecked Sendable {
    @usableFromInline let raw: UnsafeMutablePointer<tc_lock>

    init() {
        raw = .allocate(capacity: 1)
        raw.initialize(to: tc_lock(key: 0))
    }

    func deallocate() { raw.deallocate() }

    @inlinable func lock() { tc_lock_acquire(raw) }
    @inlinable func unlock() { tc_lock_release(raw) }
    @inlinable func tryLock() -> Bool { tc_lock_try(raw) }

    @inlinable func withLock<R>(_ body: () throws -> R) rethrows -> R {
        tc_lock_acquire(raw)
        defer { tc_lock_release(raw) }
        return try body()
    }
}

/// A one-shot OS-thread wake-up (Go's `note`): an M parks on it, another wakes it.
struct Note: @unchecked Sendable {
    let raw: UnsafeMutablePointer<tc_note>

    init() {
        raw = .allocate(capacity: 1)
        raw.initialize(to: tc_note(key: 0))
    }

    func deallocate() { raw.deallocate() }
    func clear() { tc_note_clear(raw) }
    func wakeup() { tc_note_wakeup(raw) }
    /// Sleeps the thread until woken (`timeoutNS < 0`: forever). Returns true when woken.
    @discardableResult
    func sleep(timeoutNS: Int64 = -1) -> Bool { tc_note_sleep(raw, timeoutNS) }
}

/// Monotonic nanoseconds.
@inlinable public func nanotime() -> Int64 { tc_nanotime() }
