// HeapLock: the heap's one lock primitive.
//
// The heap runs on stackful goroutines that migrate between OS threads, so its lock must not
// record an owner thread (`Synchronization.Mutex` caches a thread id; `NSLock` is a pthread
// mutex with an owner). HeapLock is CContext's futex lock (Go's lock_futex.go): one word,
// spin briefly, then sleep in the kernel; no owner.
//
// Critical sections guarded by HeapLock are short (list pushes and pops, page heap
// carving); none of them allocates from the heap or reaches a safe point.

import CContext

/// A futex-based mutual-exclusion lock with no owner identity.
///
/// Not reentrant: locking a HeapLock the caller already holds deadlocks.
@usableFromInline
internal struct HeapLock: ~Copyable, @unchecked Sendable {
    /// The lock word (0 unlocked, 1 locked, 2 locked with waiters). Accessed only through
    /// tc_lock_* (acquire/release atomics).
    @usableFromInline let raw: UnsafeMutablePointer<tc_lock>

    @usableFromInline
    init() {
        raw = .allocate(capacity: 1)
        raw.initialize(to: tc_lock(key: 0))
    }

    deinit { raw.deallocate() }

    /// Acquires the lock, spinning briefly and then sleeping the thread.
    @inlinable func lock() { tc_lock_acquire(raw) }

    /// Releases the lock. The caller must hold it.
    @inlinable func unlock() { tc_lock_release(raw) }

    /// Runs `body` with the lock held.
    @inlinable
    func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        lock()
        defer { unlock() }
        return try body()
    }
}
