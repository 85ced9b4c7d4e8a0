import CContext

// The runtime's thread-level primitives, thin wrappers over CContext's futex code: the one
// lock type of the package (`RuntimeLock`), the one-shot thread wake-up (`Note`) and the one
// clock (`nanotime`). Both wrappers are ~Copyable: each owns one heap-allocated word, freed
// by its `deinit`, so a lock or note cannot be copied, outlive its word or be freed twice.

/// A spin-then-futex lock with no owner identity (Go's `mutex` in lock_futex.go). The one
/// lock type of the package: GMP uses it everywhere, and other targets may use it (`package`
/// access).
///
/// Unlike `Synchronization.Mutex` it records no thread identity, so code running on a
/// goroutine may take it on one thread and release it after a switch on another (the
/// channel code parks while the scheduler releases the lock on g0). It blocks the *thread*:
/// hold it only for short, non-yielding critical sections. Goroutine code that must wait
/// for long uses `GoMutex`, which parks the goroutine instead. Not reentrant: locking a
/// RuntimeLock the caller already holds deadlocks.
@usableFromInline
package struct RuntimeLock: ~Copyable, @unchecked Sendable {
    /// The lock word (0 unlocked, 1 locked, 2 locked with waiters), in stable memory so its
    /// address can be handed to g0 (`Goroutine.park(_:unlocking:)`) and to `select`. Accessed
    /// only through `tc_lock_*`, which acquire on lock and release on unlock.
    @usableFromInline package let raw: UnsafeMutablePointer<tc_lock>

    @usableFromInline package init() {
        raw = .allocate(capacity: 1)
        raw.initialize(to: tc_lock(key: 0))
    }

    deinit { raw.deallocate() }

    /// Acquires the lock, spinning briefly and then sleeping the thread.
    @inlinable package func lock() { tc_lock_acquire(raw) }
    /// Releases the lock. The caller must hold it (any thread may release it).
    @inlinable package func unlock() { tc_lock_release(raw) }
    /// Acquires the lock if it is free; never blocks.
    @inlinable package func tryLock() -> Bool { tc_lock_try(raw) }

    /// Runs `body` with the lock held.
    @inlinable package func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        tc_lock_acquire(raw)
        defer { tc_lock_release(raw) }
        return try body()
    }
}

/// A one-shot OS-thread wake-up (Go's `note`): an M parks on it, another wakes it, `clear`
/// rearms it. The word lives in stable memory and is accessed only through `tc_note_*`:
/// `wakeup` stores with release, a `sleep` that returns true has loaded it with acquire (so
/// it sees what the waker wrote before waking it), `clear` is relaxed.
struct Note: ~Copyable, @unchecked Sendable {
    let raw: UnsafeMutablePointer<tc_note>

    init() {
        raw = .allocate(capacity: 1)
        raw.initialize(to: tc_note(key: 0))
    }

    deinit { raw.deallocate() }

    func clear() { tc_note_clear(raw) }
    func wakeup() { tc_note_wakeup(raw) }
    /// Sleeps the thread until woken (`timeoutNS < 0`: forever). Returns true when woken.
    @discardableResult
    func sleep(timeoutNS: Int64 = -1) -> Bool { tc_note_sleep(raw, timeoutNS) }
}

/// Monotonic nanoseconds (CLOCK_MONOTONIC): the one clock of the package.
@inlinable public func nanotime() -> Int64 { tc_nanotime() }
