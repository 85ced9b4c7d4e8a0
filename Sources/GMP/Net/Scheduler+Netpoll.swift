import CContext
import Synchronization

// Where the scheduler polls the network (Go's proc.go call sites of netpoll): findRunnable
// before stealing, the M about to park, sysmon every 10 ms, and the timer wake-up that
// breaks a polling M. Netpoller.swift's opening comment explains why each is needed.

extension Scheduler {
    /// findRunnable's non-blocking look before stealing (Go: "This netpoll is only an
    /// optimization before we resort to stealing"), skipped while another M is blocked in
    /// the poller (it will see the events). Returns the first readied goroutine, runnable,
    /// for the calling M to run at once; the others go through `injectList`. No M is woken
    /// for the one returned (Go returns it from findRunnable the same way): waking one per
    /// readied goroutine, as `ready`'s `wakep` did here, woke an M for a goroutine this M
    /// was about to run, and that M, finding nothing, blocked in the poller, so every later
    /// readiness edge woke a thread where this M's next non-blocking poll would have found
    /// it (gcbench net echo-c1 at procs 2: about one context switch per round trip).
    ///
    /// It also moves `lastPoll` on (at most once a millisecond; a CAS, so a claim by a
    /// blocking M is never overwritten), which Go's does not: then sysmon, which polls only
    /// when nobody has for 10 ms, leaves a server whose Ms poll all the time alone. Go's
    /// sysmon polls every 10 ms regardless, takes the readiness edge from the M about to
    /// poll for it, queues the goroutine globally and wakes a parked M for it; that M finds
    /// nothing, blocks in the poller, and from then on every edge wakes a thread until a
    /// race lets one M do all the polling again (gcbench net echo-c1 at procs 2: 0.035-0.064
    /// voluntary context switches per round trip without this move, 0.004-0.006 with it).
    func netpollNonBlocking() -> GoroutineRef? {
        guard let np = net.poller, np.waiters.load(ordering: .sequentiallyConsistent) > 0 else { return nil }
        let last = np.lastPoll.load(ordering: .sequentiallyConsistent)
        if last == 0 { return nil }
        let list = np.netpoll(delay: 0)
        let now = nanotime()
        if now - last >= 1_000_000 {
            _ = np.lastPoll.compareExchange(expected: last, desired: now, ordering: .sequentiallyConsistent)
        }
        guard let first = list.first else { return nil }
        first.withGoroutine { $0.casStatus(from: .waiting, to: .runnable) }
        injectList(list.dropFirst())
        return first
    }

    /// What an M that blocked in the poller comes back with (`netpollBlocking`).
    enum PollOutcome {
        /// It did not poll: the caller parks as before.
        case none
        /// It polled and then found no idle P (the goroutines went to the global queue for
        /// busy Ms): the caller parks.
        case noP
        /// It polled and holds a P, with nothing readied (a timer is due, or a break): look
        /// for work again.
        case heldP
        /// It polled, holds a P, and runs this readied goroutine (runnable) next.
        case run(GoroutineRef)
    }

    /// An M with no P and nothing to run blocks in epoll_wait until the earliest timer
    /// instead of parking, while goroutines wait in IO and no other M polls (Go's
    /// findRunnable "poll network until next timer"). With an idle P it keeps the first
    /// readied goroutine for itself and injects the rest (Go's `list.pop()` then
    /// `injectglist`), so no M is woken for the goroutine it runs itself.
    func netpollBlocking(_ m: Machine) -> PollOutcome {
        guard let np = net.poller, np.waiters.load(ordering: .sequentiallyConsistent) > 0,
              np.lastPoll.exchange(0, ordering: .sequentiallyConsistent) != 0 else { return .none }
        if shuttingDown.load(ordering: .acquiring) {
            np.lastPoll.store(nanotime(), ordering: .sequentiallyConsistent)
            return .none
        }
        let until = nextTimerDeadline()
        np.pollUntil.store(until ?? 0, ordering: .sequentiallyConsistent)
        let delay = until.map { max(0, $0 - nanotime()) } ?? -1
        stats.threadWakeups.add(1, ordering: .relaxed)
        let list = np.netpoll(delay: delay)
        np.pollUntil.store(0, ordering: .sequentiallyConsistent)
        np.lastPoll.store(nanotime(), ordering: .sequentiallyConsistent)
        // This M is in neither `midle` nor idle, so `checkdead` counts it as running until
        // the goroutines are queued or it runs the first.
        guard let pp = lock.withLock({ pidleget() }) else {
            injectList(list[...])
            return .noP
        }
        acquirep(m, pp)
        guard let first = list.first else { return .heldP }
        first.withGoroutine { $0.casStatus(from: .waiting, to: .runnable) }
        injectList(list.dropFirst())
        return .run(first)
    }

    /// sysmon's poll when nobody has polled for 10 ms (Go's sysmon "poll network if not
    /// polled for more than 10ms"). Counted in `wakesInFlight` while the readied goroutines
    /// travel to the global queue (sysmon is not an M). Returns whether any was readied.
    func sysmonNetpoll(now: Int64) -> Bool {
        guard let np = net.poller else { return false }
        let last = np.lastPoll.load(ordering: .sequentiallyConsistent)
        guard last != 0, last + 10_000_000 < now,
              np.lastPoll.compareExchange(expected: last, desired: now, ordering: .sequentiallyConsistent).exchanged
        else { return false }
        wakesInFlight.add(1, ordering: .sequentiallyConsistent)
        let list = np.netpoll(delay: 0)
        injectList(list[...])
        wakesInFlight.subtract(1, ordering: .sequentiallyConsistent)
        return !list.isEmpty
    }

    /// Go's wakeNetPoller, for a timer just armed at `when`: if an M is blocked in the
    /// poller past `when`, break it out so it polls again with the new deadline. Returns
    /// true when an M is blocked in the poller (no other M needs waking for the timer).
    func netpollWake(before when: Int64) -> Bool {
        guard let np = net.poller, np.lastPoll.load(ordering: .sequentiallyConsistent) == 0 else { return false }
        let u = np.pollUntil.load(ordering: .sequentiallyConsistent)
        if u == 0 || u > when { np.breakPoll() }
        return true
    }

    /// Readies goroutines the poller returned, still `.waiting` (Go's injectglist). With no
    /// P (sysmon, an M that found no idle P) they go to the global queue and an M is started
    /// for each while Ps are idle (`startIdle`: the work has no owner M). Holding a P, as
    /// many as there are idle Ps go to the global queue with an M started for each, and the
    /// rest to this P's queue without `wakep`: this M runs them in any case, and the started
    /// Ms already cover the idle Ps.
    func injectList(_ list: ArraySlice<GoroutineRef>) {
        if list.isEmpty { return }
        for g in list { g.withGoroutine { $0.casStatus(from: .waiting, to: .runnable) } }
        var p: Processor?
        if let m = Machine.current, m.schedU.toOpaque() == Unmanaged.passUnretained(self).toOpaque() { p = m.p }
        guard let p else {
            lock.withLock { for g in list { globrunqput(g) } }
            startIdle(list.count)
            return
        }
        let toGlobal = min(npidle.load(ordering: .sequentiallyConsistent), list.count)
        if toGlobal > 0 {
            lock.withLock { for g in list.prefix(toGlobal) { globrunqput(g) } }
            startIdle(toGlobal)
        }
        for g in list.dropFirst(toGlobal) { p.runqput(g, next: false) }
    }
}
