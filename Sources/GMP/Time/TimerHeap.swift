import CContext
import Synchronization

// Timers (Go's runtime/time.go since 1.14, and the timer parts of proc.go): the runtime
// timer record (`RuntimeTimer`) and the per-P heap that orders them (`TimerHeap`).
//
// What. Every sleeping goroutine, `Timer`, `Ticker`, `after(_:)` and `afterFunc` is one
// runtime timer: a deadline `when` on the scheduler clock, an optional `period`, and an
// action run when it expires (ready a sleeping goroutine, offer the time on a channel
// without blocking, or start a goroutine running a function).
//
// Where. As in Go 1.14+, each P owns a min-heap of timers ordered by `when` (ties by
// insertion order), guarded by its own lock (Go's p.timersLock). A timer goes on the heap
// of the P that started it (`addtimer`: the calling goroutine's P, or g0's for a sleep).
// No single thread fires timers; whoever looks first does (Scheduler+Timers.swift):
//   1. the M holding the P, in findRunnable, before it looks at its run queue
//      (Go's checkTimers in schedule/findRunnable);
//   2. an M looking for work, for the heaps of every other P, before it steals (Go's
//      stealWork runs a victim's timers): this is how timers leave a P that is idle;
//   3. an M that parks sleeps no longer than the earliest deadline of all heaps (Go's
//      pollUntil), so an idle program still wakes for its timers;
//   4. sysmon, for a heap whose earliest timer is 1 ms overdue (its P's M is busy in a
//      long run slice or a syscall), or at once when every P is idle;
//   5. deterministic mode, against virtual time, at every decision.
// Our Ps are never destroyed (GOMAXPROCS is fixed), so Go's moveTimers (timers of a P
// removed by procresize move to the caller's P) has no counterpart; a P that goes idle
// keeps its heap and (2)-(4) fire it.
//
// Stop and reset. Go 1.14-1.22 let any thread modify a timer on another P's heap without
// that heap's lock, through a status word (timerModifiedEarlier, timerDeleted...) that the
// owner P cleans up later. We keep the simpler, locked protocol: a timer records the heap
// holding it (`owner`, a P id, -1 when it is on none), changed only under that heap's
// lock; `stop` reads it, locks that heap and removes the timer if it is still there. Two
// user operations on one timer are serialised by the timer's own `modLock`; the firing
// path never takes `modLock`, so the lock order is modLock -> heap lock, never reversed.
//
// Firing. Under the heap lock an expired timer is removed (one-shot: `owner` becomes -1)
// or re-armed at its next period (a ticker stays on the heap: Go's runOneTimer); its action
// runs after the lock is released. So `stop` returning true means the action has not run
// and never will; false means it ran, is running, or the timer was not armed (Go 1.19's
// semantics: a value may already sit in a Timer's channel).
//
// What we simplified: Go 1.19 keeps timers in a 4-ary heap with lock-free status
// transitions and adjusts them lazily; ours is a binary heap whose every change takes the
// heap lock.

/// A runtime timer (Go's runtime `timer`, time.go). Internal: the public `Timer`, `Ticker`,
/// `after(_:)`, `afterFunc` and `Goroutine.sleep` are built on it.
final class RuntimeTimer: @unchecked Sendable {
    /// What happens when the timer fires (Go's `f`/`arg` pair).
    enum Action {
        /// Make the sleeping goroutine runnable (Go's goroutineReady).
        case ready(GoroutineRef)
        /// Offer the firing time on the channel without blocking (Go's sendTime): a full
        /// channel drops the value, which is how a ticker drops ticks for a slow reader.
        case send(Channel<TimerTick>)
        /// Start a goroutine running the function (Go's goFunc, for AfterFunc).
        case spawn(@Sendable () -> Void)
        /// Call a runtime function with the firing time, on whichever thread fires the
        /// timer (g0 with a P, or a thread without one): it must not block. Go's timer `f`
        /// for runtime functions such as the netpoller's deadlines (Net/PollDesc.swift).
        case call(@Sendable (Int64) -> Void)
    }

    let action: Action
    /// Deadline on the scheduler clock. Protected by the lock of the heap holding the timer
    /// (`owner`); while on no heap, by `modLock` (the only other writer).
    var when: Int64 = 0
    /// Period in nanoseconds (0: one-shot). Protected like `when`.
    var period: Int64 = 0
    /// Insertion number in its heap, for FIFO order among equal deadlines; protected like `when`.
    var seq: Int = 0
    /// Position in the owner heap's array; protected by that heap's lock.
    var index: Int = -1
    /// The P whose heap holds the timer, -1 when on none. Stored (release) only under that
    /// heap's lock; `stop` loads it (acquire) and re-checks it under the lock it names.
    let owner = Atomic<Int>(-1)
    /// Serialises `Timer`/`Ticker` operations (stop, reset) on this timer; never taken by
    /// the firing path. Lock order: modLock, then a heap lock.
    let modLock = RuntimeLock()

    init(_ action: Action) { self.action = action }
}

/// What a `Timer` or `Ticker` delivers on its channel: the scheduler-clock time at which it
/// fired (Go sends a `time.Time`; here the clock is `Scheduler.now()`, virtual in
/// deterministic mode).
public struct TimerTick: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Nanoseconds on the scheduler clock (`Scheduler.now()`).
    public let nanoseconds: Int64
    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    public static func < (a: TimerTick, b: TimerTick) -> Bool { a.nanoseconds < b.nanoseconds }
    public var description: String { "tick@\(nanoseconds)ns" }
}

/// One P's timers: a binary min-heap by (`when`, `seq`) under its own lock (Go's p.timers
/// and p.timersLock). This file's opening comment explains who fires it.
final class TimerHeap: @unchecked Sendable {
    /// The P this heap belongs to (its index in `Scheduler.allp`). Immutable.
    let pid: Int
    /// Guards `heap` and `nextSeq`, and the fields of every timer on the heap.
    let lock = RuntimeLock()
    private var heap: [RuntimeTimer] = []  // protected by lock
    private var nextSeq = 0  // protected by lock
    /// Earliest deadline (Int64.max when empty), Go's p.timer0When: stored under `lock`,
    /// loaded without it (relaxed) by the scheduler's hot path, which then locks to act.
    let earliest = Atomic<Int64>(.max)
    /// Timers on the heap: stored under `lock`. Sequentially consistent, because
    /// `checkdead` reads it and then `wakesInFlight` (Scheduler+Checkdead.swift): a thread
    /// firing a timer without a P raises `wakesInFlight` before it empties a heap.
    let count = Atomic<Int>(0)

    init(pid: Int) { self.pid = pid }

    /// Adds `t` (on no heap; its `when`, `period` set by the caller) and reports whether it
    /// became the heap's earliest timer. - Complexity: O(log n).
    @discardableResult
    func add(_ t: RuntimeTimer) -> Bool {
        lock.withLock {
            precondition(t.owner.load(ordering: .relaxed) == -1, "addtimer: timer already on a heap")
            nextSeq += 1
            t.seq = nextSeq
            t.index = heap.count
            heap.append(t)
            siftUp(heap.count - 1)
            t.owner.store(pid, ordering: .releasing)
            publish()
            return heap[0] === t
        }
    }

    /// Removes `t` if it is on this heap; the caller holds `lock`. - Complexity: O(log n).
    func removeLocked(_ t: RuntimeTimer) {
        let i = t.index
        precondition(i >= 0 && i < heap.count && heap[i] === t, "deltimer: timer not on P\(pid)'s heap")
        let last = heap.removeLast()
        if i < heap.count {
            heap[i] = last
            last.index = i
            siftDown(i)
            siftUp(last.index)
        }
        t.index = -1
        t.owner.store(-1, ordering: .releasing)
        publish()
    }

    /// Takes every timer due at `now`: one-shot timers leave the heap, periodic ones are
    /// re-armed at their next period after `now` (Go's runOneTimer: missed periods are
    /// skipped, not replayed). Returns them earliest first; the caller runs their actions
    /// after this returns (outside the lock).
    func takeExpired(now: Int64) -> [RuntimeTimer] {
        lock.withLock {
            var out: [RuntimeTimer] = []
            while let top = heap.first, top.when <= now {
                out.append(top)
                if top.period > 0 {
                    top.when += top.period * (1 + (now - top.when) / top.period)
                    nextSeq += 1
                    top.seq = nextSeq
                    siftDown(0)
                } else {
                    removeLocked(top)
                }
            }
            publish()
            return out
        }
    }

    /// Disarms every timer (the scheduler's shutdown: timers of abandoned goroutines, and
    /// the channels and functions they hold, are released).
    func removeAll() {
        lock.withLock {
            for t in heap {
                t.index = -1
                t.owner.store(-1, ordering: .releasing)
            }
            heap.removeAll()
            publish()
        }
    }

    /// Updates the lock-free mirrors; requires `lock`.
    private func publish() {
        earliest.store(heap.first?.when ?? .max, ordering: .relaxed)
        count.store(heap.count, ordering: .sequentiallyConsistent)
    }

    private func less(_ a: RuntimeTimer, _ b: RuntimeTimer) -> Bool {
        a.when < b.when || (a.when == b.when && a.seq < b.seq)
    }

    private func swapAt(_ i: Int, _ j: Int) {
        heap.swapAt(i, j)
        heap[i].index = i
        heap[j].index = j
    }

    private func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            if !less(heap[i], heap[parent]) { break }
            swapAt(i, parent)
            i = parent
        }
    }

    private func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && less(heap[l], heap[m]) { m = l }
            if r < heap.count && less(heap[r], heap[m]) { m = r }
            if m == i { return }
            swapAt(i, m)
            i = m
        }
    }
}
