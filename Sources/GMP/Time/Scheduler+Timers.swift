import CContext
import Synchronization

// The scheduler's side of timers: arming and stopping them on a P's heap, and the five
// places that fire them (TimerHeap.swift's opening comment lists them and why each is
// needed). Every firing path ends in `runTimerActions`.
//
// Parking until the next timer. An M with nothing to run parks in `stopm` with a timeout at
// the earliest deadline over every P's heap (`nextTimerDeadline`, Go's pollUntil); when the
// timeout fires it takes an idle P and findRunnable fires what is due, or, with every P
// busy, fires the due timers itself without a P (`fireTimersNoP`) so a long run slice
// cannot delay them. A goroutine that arms a timer earlier than every other one while a P
// is idle calls `wakep` (Go's wakeNetPoller): the woken M finds nothing, and parks again
// with the new, earlier timeout. The netpoller (Net/Netpoller.swift) slots in at these two
// points: while goroutines wait in IO, one M (claimed like Go's sched.lastpoll) parks in
// `netpoll(delay:)` until `nextTimerDeadline()` instead, and the `wakep` becomes a
// `breakPoll` when that M sleeps past the new deadline (`netpollWake(before:)`).

extension Scheduler {
    /// Arms `t` to fire at `when` (then every `period` ns if positive) on `p`'s heap. `t`
    /// must be on no heap: the caller holds `t.modLock` (Timer, Ticker) or owns `t` (a
    /// sleeping goroutine's timer, armed by g0). With `wake`, a timer that becomes the
    /// earliest of all while a P is idle wakes an M to park again with the new deadline.
    func addTimer(_ t: RuntimeTimer, when: Int64, period: Int64, on p: Processor, wake: Bool) {
        t.when = when
        t.period = period
        let first = p.timers.add(t)
        if wake && first && !deterministic && !netpollWake(before: when) && npidle.load(ordering: .sequentiallyConsistent) > 0
            && allp.allSatisfy({ $0 === p || $0.timers.earliest.load(ordering: .relaxed) > when }) {
            wakep()
        }
    }

    /// The P whose heap takes a timer armed by the running goroutine `g`: its M's P (valid
    /// until `g`'s next safe point; arming has none). A clear error inside
    /// `Scheduler.syscall`/`blockingCall`, where the goroutine has no P.
    static func timerProcessor(_ g: Goroutine, _ api: StaticString) -> Processor {
        guard let p = g.m?.p else {
            preconditionFailure("\(api): goroutine \(g.id) has no P inside Scheduler.syscall/blockingCall; "
                + "arm timers outside the call")
        }
        return p
    }

    /// Disarms `t`: true if it was armed and now will not fire (Go's deltimer). The caller
    /// holds `t.modLock`.
    func stopTimer(_ t: RuntimeTimer) -> Bool {
        while true {
            let pid = t.owner.load(ordering: .acquiring)
            if pid < 0 { return false }
            let heap = allp[pid].timers
            heap.lock.lock()
            // `owner` changes only under the lock of the heap it names: re-check under it.
            if t.owner.load(ordering: .relaxed) == pid {
                heap.removeLocked(t)
                heap.lock.unlock()
                return true
            }
            heap.lock.unlock()
        }
    }

    /// Fires the timers on `p`'s heap that are due at `now` (Go's checkTimers). On the M
    /// holding `p`, from findRunnable: the goroutines they ready go to `p`'s run queue.
    @inline(__always)
    func checkTimers(_ p: Processor, now: Int64) {
        if p.timers.earliest.load(ordering: .relaxed) > now { return }
        runTimerActions(p.timers.takeExpired(now: now), now: now)
    }

    /// Fires the due timers of every P but `p` onto `p` (Go's stealWork running a victim's
    /// timers): timers of an idle P, or of one whose M is busy, run here.
    func checkOtherTimers(_ p: Processor, now: Int64) {
        for q in allp where q !== p { checkTimers(q, now: now) }
    }

    /// Fires due timers from a thread without a P (sysmon, or an M whose timed park found
    /// every P busy). With `grace`, only heaps whose earliest timer is that overdue (the M
    /// holding the P had the chance and did not look). Counted in `wakesInFlight` from
    /// before a timer leaves its heap until its goroutine is queued, so `checkdead` never
    /// sees it nowhere. Returns how many timers fired.
    @discardableResult
    func fireTimersNoP(now: Int64, grace: Int64) -> Int {
        var fired = 0
        for p in allp {
            let e = p.timers.earliest.load(ordering: .relaxed)
            if e == .max || e > now - grace { continue }
            wakesInFlight.add(1, ordering: .sequentiallyConsistent)
            let due = p.timers.takeExpired(now: now)
            runTimerActions(due, now: now)
            wakesInFlight.subtract(1, ordering: .sequentiallyConsistent)
            fired += due.count
        }
        return fired
    }

    /// Runs the actions of timers just taken off their heaps, in order (Go's runtimer).
    /// Runs on g0 with a P, on a thread without one, or (deterministic mode) on a
    /// goroutine at its safe point; `ready` puts woken goroutines where each case needs.
    func runTimerActions(_ due: [RuntimeTimer], now: Int64) {
        for t in due {
            switch t.action {
            case .ready(let g):
                g.withGoroutine {
                    det?.spontaneousWakeups.append($0.id)
                    ready($0)
                }
            case .send(let ch):
                _ = ch.offer(TimerTick(nanoseconds: now))
            case .spawn(let body):
                spawnDetached(body)
            case .call(let f):
                f(now)
            }
        }
    }

    /// Starts a goroutine with no parent (Go's goFunc for AfterFunc): from a timer, on any
    /// thread. It starts at the tail of a run queue.
    func spawnDetached(_ body: @escaping @Sendable () -> Void) {
        let ng: GoroutineRef
        do {
            ng = try newGoroutine(body, parent: nil)
        } catch {
            tc_write_stderr("\(error)\n")
            fail(error)
            return
        }
        publish(ng, parent: nil)
        ng.withGoroutine { enqueueRunnable($0, next: false) }
    }

    /// The earliest deadline over every P's heap (nil: no timer armed), Go's pollUntil.
    func nextTimerDeadline() -> Int64? {
        var e = Int64.max
        for p in allp { e = min(e, p.timers.earliest.load(ordering: .relaxed)) }
        return e == .max ? nil : e
    }

    /// Whether any timer is armed (`checkdead`: a pending timer can still wake someone).
    var timersPending: Bool {
        allp.contains { $0.timers.count.load(ordering: .sequentiallyConsistent) > 0 }
    }

    /// Deterministic mode: the ids of goroutines made runnable without another
    /// goroutine's step doing it — by a timer (a sleep ending, which the virtual clock
    /// causes) or by their own yield — in order; empty otherwise. DPOR tells these from
    /// wake-ups a step causes (TriColorLab's Footprint.swift).
    public var deterministicSpontaneousWakeups: [Int64] { det?.spontaneousWakeups ?? [] }

    /// Deterministic mode: fires every timer due at the virtual clock (one P, so one heap);
    /// the goroutines they ready join the runnable set in firing order.
    func releaseExpiredTimersDet() {
        guard let det else { return }
        checkTimers(allp[0], now: det.virtualNow)
    }
}

extension Channel {
    /// A timer's send (Go's sendTime): delivers `value` if a receiver waits or the buffer
    /// has room, else drops it; never blocks and never panics (a closed channel drops it).
    /// Callable from g0 or a thread without a P: it takes only this channel's lock.
    func offer(_ value: T) -> Bool {
        lock.lock()
        if state.pointee.closed {
            lock.unlock()
            return false
        }
        if trySendLocked(value) { return true }
        lock.unlock()
        return false
    }
}
