// Mark work buffers (Go's gcWork and work.full, mgcwork.go) and the buffered write barrier
// (Go's wbBuf, mwbbuf.go).
//
// Each P has a local grey stack that only the goroutine running on it touches (between
// safe points), so pushing and popping a grey object costs no lock and no atomic. When a
// local stack grows past `flushAt` half of it goes to the shared `WorkPool`; a drainer with
// an empty local stack takes a batch from the pool. That is how work spreads between mark
// workers, assists and the barrier (Go's "work stealing" for the mark phase).
//
// The write barrier does not shade at once: it appends the pointers it must shade to its
// P's buffer and shades them when the buffer fills, or when the collector flushes every P
// before mark termination. A buffered pointer is conceptually grey already: the collector
// cannot finish marking while any buffer holds one, because termination flushes every
// buffer with the world stopped and resumes marking if that produced work.

import CContext
import Synchronization

/// The shared pool of grey-object batches. Protected by `lock`.
final class WorkPool: @unchecked Sendable {
    private let lock = UnsafeMutablePointer<tc_lock>.allocate(capacity: 1)
    private var batches: [[Ref]] = []   // lock
    private var count = 0               // lock (objects)
    /// `count`, mirrored for lock-free hints: written under the lock, read relaxed.
    private let countHint = Atomic<Int>(0)

    /// Called after a batch is added (the collector wakes an idle P for it). Set once.
    var onWork: (() -> Void)?

    init() { lock.initialize(to: tc_lock(key: 0)) }
    deinit { lock.deallocate() }

    func put(_ batch: [Ref]) {
        if batch.isEmpty { return }
        tc_lock_acquire(lock)
        batches.append(batch)
        count += batch.count
        countHint.store(count, ordering: .relaxed)
        tc_lock_release(lock)
        onWork?()
    }

    func take() -> [Ref]? {
        tc_lock_acquire(lock)
        defer { tc_lock_release(lock) }
        guard let b = batches.popLast() else { return nil }
        count -= b.count
        countHint.store(count, ordering: .relaxed)
        return b
    }

    /// A racy emptiness hint (no lock): for deciding whether to share work.
    var isEmptyHint: Bool { countHint.load(ordering: .relaxed) == 0 }

    var isEmpty: Bool {
        tc_lock_acquire(lock)
        defer { tc_lock_release(lock) }
        return count == 0
    }
}

/// Per-P collector state: the local grey stack and the write-barrier buffer. Owned by the goroutine running on the P between two safe points; touched by the
/// collector for every P only with the world stopped.
final class GCWork {
    var grey: [Ref] = []
    var wbuf: [Ref] = []
    /// `grey.count` as of the last drain or flush on this P, for the coordinator's
    /// completion check (written by the P's goroutine, read by the coordinator; relaxed: a
    /// hint, the mark-completion stop is what decides).
    let localCountHint = Atomic<Int>(0)
    /// Write-barrier slow-path calls and successful shades since the cycle began
    /// (summed over every P at mark termination).
    var barrierCalls = 0
    var shades = 0
    static let flushAt = 512

    init() {
        grey.reserveCapacity(GCWork.flushAt * 2)
        wbuf.reserveCapacity(256)
    }

    @inline(__always)
    func push(_ r: Ref, pool: WorkPool) {
        grey.append(r)
        if grey.count >= GCWork.flushAt * 2 {
            let half = Array(grey[GCWork.flushAt...])
            grey.removeLast(grey.count - GCWork.flushAt)
            pool.put(half)
        }
    }

    /// Go's gcWork.balance: when the shared pool is empty and this P holds several grey
    /// objects, give half of them away so idle workers and other Ps can help.
    @inline(__always)
    func balance(pool: WorkPool) {
        if grey.count >= 8 && pool.isEmptyHint {
            let keep = grey.count / 2
            pool.put(Array(grey[keep...]))
            grey.removeLast(grey.count - keep)
        }
    }

    @inline(__always)
    func publishLocalCount() { localCountHint.store(grey.count, ordering: .relaxed) }

    @inline(__always)
    func pop(pool: WorkPool) -> Ref? {
        if let r = grey.popLast() { return r }
        guard let b = pool.take() else { return nil }
        grey.append(contentsOf: b)
        return grey.popLast()
    }
}

/// Every P's `GCWork`, in creation order; protected by its lock. Append-only.
final class RegisteredWork: @unchecked Sendable {
    private let lock = HeapLock()
    private var all: [GCWork] = []   // lock

    func add(_ w: GCWork) { lock.withLock { all.append(w) } }

    func contains(where predicate: (GCWork) -> Bool) -> Bool {
        lock.withLock { all.contains(where: predicate) }
    }
}
