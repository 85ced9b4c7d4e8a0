import CContext
import Synchronization

// Timers: the queue of sleeping goroutines (`TimerQueue`) and how an M holding a P readies
// the expired ones (`checkTimers`). Sysmon's `injectTimers` (Sysmon.swift) and deterministic
// mode's virtual clock (Deterministic.swift) are the other two consumers.

/// Sleeping goroutines ordered by wake-up time: a binary min-heap under its own lock.
///
/// Go keeps a timer heap per P (since 1.14); one heap is enough here and keeps deterministic
/// mode simple. Any M checks it in findRunnable, idle Ms park with a timeout of the
/// earliest deadline, and sysmon injects expired timers that no M took within 1 ms (or at
/// once when every P is idle).
final class TimerQueue: @unchecked Sendable {
    private let lock = RuntimeLock()
    private var heap: [(when: Int64, seq: Int, g: Goroutine)] = []  // protected by lock
    private var seq = 0  // protected by lock; ties wake in sleep order
    /// Earliest deadline (Int64.max when empty): written under lock, read without it
    /// (relaxed) so the scheduler's hot path checks timers without locking.
    private let earliest = Atomic<Int64>(.max)

    var count: Int { lock.withLock { heap.count } }

    func add(when: Int64, _ g: Goroutine) {
        lock.withLock {
            seq += 1
            heap.append((when, seq, g))
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                if less(heap[i], heap[parent]) { heap.swapAt(i, parent); i = parent } else { break }
            }
            earliest.store(heap[0].when, ordering: .relaxed)
        }
    }

    func nextDeadline() -> Int64? {
        let e = earliest.load(ordering: .relaxed)
        return e == .max ? nil : e
    }

    /// Removes and returns every goroutine whose time has come, earliest first.
    func popExpired(now: Int64) -> [Goroutine] {
        lock.withLock {
            var out: [Goroutine] = []
            while let top = heap.first, top.when <= now {
                out.append(top.g)
                let last = heap.removeLast()
                if !heap.isEmpty {
                    heap[0] = last
                    var i = 0
                    while true {
                        let l = 2 * i + 1, r = l + 1
                        var m = i
                        if l < heap.count && less(heap[l], heap[m]) { m = l }
                        if r < heap.count && less(heap[r], heap[m]) { m = r }
                        if m == i { break }
                        heap.swapAt(i, m)
                        i = m
                    }
                }
            }
            earliest.store(heap.first?.when ?? .max, ordering: .relaxed)
            return out
        }
    }

    private func less(_ a: (when: Int64, seq: Int, g: Goroutine), _ b: (when: Int64, seq: Int, g: Goroutine)) -> Bool {
        a.when < b.when || (a.when == b.when && a.seq < b.seq)
    }
}

extension Scheduler {
    /// Readies goroutines whose timers expired, onto `p`'s queue (on the M holding `p`, from
    /// findRunnable: that M is not idle, so it runs them or another M steals them).
    func checkTimers(now: Int64, p: Processor) {
        guard let due = timers.nextDeadline(), due <= now else { return }
        for g in timers.popExpired(now: now) {
            g.casStatus(from: .waiting, to: .runnable)
            p.runqput(g.ref, next: false)
        }
    }
}
