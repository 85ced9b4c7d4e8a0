import CContext
import Synchronization

// Where the scheduler polls the network (Go's proc.go call sites of netpoll): findRunnable
// before stealing, the M about to park, sysmon every 10 ms, and the timer wake-up that
// breaks a polling M. Netpoller.swift's opening comment explains why each is needed.

extension Scheduler {
    /// findRunnable's non-blocking look before stealing (Go: "This netpoll is only an
    /// optimization before we resort to stealing"), skipped while another M is blocked in
    /// the poller (it will see the events). Readied goroutines go to the caller's P.
    /// Returns whether any was readied.
    func netpollNonBlocking() -> Bool {
        guard let np = net.poller, np.waiters.load(ordering: .sequentiallyConsistent) > 0,
              np.lastPoll.load(ordering: .sequentiallyConsistent) != 0 else { return false }
        let list = np.netpoll(delay: 0)
        injectReady(list)
        return !list.isEmpty
    }

    /// An M with no P and nothing to run blocks in epoll_wait until the earliest timer
    /// instead of parking, while goroutines wait in IO and no other M polls (Go's
    /// findRunnable "poll network until next timer"). Returns true when it then holds a P
    /// (the readied goroutines are on its queue, or a timer is due); false when it did not
    /// poll or found no idle P (the goroutines went to the global queue for busy Ms), and
    /// the caller parks as before.
    func netpollBlocking(_ m: Machine) -> Bool {
        guard let np = net.poller, np.waiters.load(ordering: .sequentiallyConsistent) > 0,
              np.lastPoll.exchange(0, ordering: .sequentiallyConsistent) != 0 else { return false }
        if shuttingDown.load(ordering: .acquiring) {
            np.lastPoll.store(nanotime(), ordering: .sequentiallyConsistent)
            return false
        }
        let until = nextTimerDeadline()
        np.pollUntil.store(until ?? 0, ordering: .sequentiallyConsistent)
        let delay = until.map { max(0, $0 - nanotime()) } ?? -1
        let list = np.netpoll(delay: delay)
        np.pollUntil.store(0, ordering: .sequentiallyConsistent)
        np.lastPoll.store(nanotime(), ordering: .sequentiallyConsistent)
        // This M is in neither `midle` nor idle, so `checkdead` counts it as running until
        // the goroutines are queued.
        let pp = lock.withLock { pidleget() }
        if let pp { acquirep(m, pp) }
        injectReady(list)
        return pp != nil
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
        injectReady(list)
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

    /// Readies goroutines the poller returned (Go's injectglist): onto this thread's P when
    /// it holds one, else onto the global queue with Ms started (`ready`'s rules).
    func injectReady(_ list: [GoroutineRef]) {
        for g in list { g.withGoroutine { ready($0, next: false) } }
    }
}
