// Where grey objects wait (Go's gcWork and work.full, mgcwork.go).
//
// Each P has a local grey stack (GCWork.grey) that only the goroutine running on it touches
// between safe points, so pushing and popping a grey object costs no lock and no atomic.
// When a local stack grows past twice `GCWork.flushAt`, half of it goes to the shared
// WorkPool; a marker with an empty local stack takes a batch from the pool. That is how
// work spreads between mark workers, assists and the write barrier (Go's work sharing for
// the mark phase). The engine that moves objects between them is MarkEngine.swift.
//
// Each P also has the write barrier's buffer (GCWork.wbuf, Go's wbBuf): the barrier appends
// the pointers it must shade and shades them when the buffer fills, or when the collector
// flushes every P before mark termination. A buffered pointer is conceptually grey: marking
// cannot end while any buffer holds one, because termination flushes every buffer with the
// world stopped and resumes marking if that produced work.

import GMP
import Synchronization

/// The shared pool of grey-object batches. Protected by `lock`.
final class WorkPool: @unchecked Sendable {
    private let lock = RuntimeLock()
    private var batches: [[Ref]] = []   // lock
    private var count = 0               // lock (objects)
    /// `count`, mirrored for lock-free hints: written under the lock, read relaxed.
    private let countHint = Atomic<Int>(0)

    /// Called after a batch is added (the collector wakes an idle P for it). Set once.
    var onWork: (() -> Void)?

    func put(_ batch: [Ref]) {
        if batch.isEmpty { return }
        lock.withLock {
            batches.append(batch)
            count += batch.count
            countHint.store(count, ordering: .relaxed)
        }
        onWork?()
    }

    func take() -> [Ref]? {
        lock.withLock {
            guard let b = batches.popLast() else { return nil }
            count -= b.count
            countHint.store(count, ordering: .relaxed)
            return b
        }
    }

    /// A racy emptiness hint (no lock): for deciding whether to share work.
    var isEmptyHint: Bool { countHint.load(ordering: .relaxed) == 0 }

    var isEmpty: Bool { lock.withLock { count == 0 } }
}

/// One P's mark state: its local grey stack and its write-barrier buffer (Go's p.gcw and
/// p.wbBuf). Owned by the goroutine running on the P between two safe points; touched for
/// every P only with the world stopped. A stop-the-world mark uses one of its own.
final class GCWork {
    /// Grey objects queued on this P. `@exclusivity(unchecked)`: only this P's goroutine
    /// touches it (see above), and the dynamic check would cost more than the push.
    @exclusivity(unchecked) var grey = GreyStack(capacity: GCWork.flushAt * 2)
    /// Pointers the write barrier recorded and has not shaded yet (conceptually grey).
    /// `@exclusivity(unchecked)` like `grey`: only this P's goroutine touches it.
    @exclusivity(unchecked) var wbuf: [Ref] = []
    /// `grey.count` as of the last drain or flush on this P, for the coordinator's
    /// completion check (written by the P's goroutine, read by the coordinator; relaxed: a
    /// hint, the mark-completion stop is what decides).
    let localCountHint = Atomic<Int>(0)
    /// Write-barrier slow-path calls and successful shades since the cycle began
    /// (summed over every P at mark termination). Only this P's goroutine (or the world
    /// stopped) touches them: `@exclusivity(unchecked)`.
    @exclusivity(unchecked) var barrierCalls = 0
    @exclusivity(unchecked) var shades = 0
    /// Bytes this P allocated black since the cycle began (Go keeps them in the P's gcw,
    /// `bytesMarked`, not in a shared counter): settled into the engine's total at mark
    /// termination (`MarkEngine.settleAllocatedBlack`, world stopped), so allocate-black
    /// pays no atomic read-modify-write on a line every P writes.
    @exclusivity(unchecked) var allocatedBlackBytes = 0
    /// A local stack of twice this size gives half of it to the pool.
    static let flushAt = 512

    init() { wbuf.reserveCapacity(256) }
    deinit { grey.destroy() }

    @inline(__always)
    func publishLocalCount() { localCountHint.store(grey.count, ordering: .relaxed) }

    /// Moves every local grey object to `pool` (mark completion, world stopped).
    /// Returns whether there were any.
    func flushGrey(to pool: WorkPool) -> Bool {
        if grey.isEmpty { return false }
        pool.put(grey.removeTop(grey.count))
        publishLocalCount()
        return true
    }
}

/// Every P's `GCWork`, in creation order; protected by its lock. Append-only.
final class RegisteredWork: @unchecked Sendable {
    private let lock = RuntimeLock()
    private var all: [GCWork] = []   // lock

    func add(_ w: GCWork) { lock.withLock { all.append(w) } }

    /// An index loop rather than `Sequence.contains(where:)`: the coordinator calls this on a
    /// goroutine stack, and an unspecialised (debug) generic Sequence call resolves its
    /// associated types at first use, which takes more stack than 16 KiB stacks have.
    func contains(where predicate: (GCWork) -> Bool) -> Bool {
        lock.withLock {
            var i = 0
            while i < all.count {
                if predicate(all[i]) { return true }
                i += 1
            }
            return false
        }
    }
}
