import CContext
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

// The netpoller (Go's runtime/netpoll.go and netpoll_epoll.go): goroutines that block on
// sockets without blocking threads.
//
// What. A goroutine that reads a socket with no data must wait, but it must not hold its M
// while it waits, or 1,000 idle connections would cost 1,000 threads. So every socket is
// non-blocking: `read` calls recv, and on EAGAIN parks the goroutine in IO wait on the
// descriptor's poll descriptor (`PollDesc`); the thread goes back to the scheduler and runs
// other goroutines. One epoll instance per scheduler (created on first network use) watches
// every registered descriptor; `netpoll(delay)` asks the kernel which descriptors became
// ready and returns the goroutines parked on them, which the caller makes runnable; each
// retries its recv or send.
//
// The edge-triggered contract. A descriptor is registered once, for EPOLLIN | EPOLLOUT |
// EPOLLRDHUP | EPOLLET: the kernel reports a direction when it *becomes* ready, not while it
// stays ready. So a goroutine parks only after its call returned EAGAIN (it has drained the
// direction), and a readiness edge that arrives while nobody waits is remembered in the
// direction's semaphore: each of `rg` and `wg` is, as in Go, `pdNil` (nothing), `pdReady`
// (an edge came; the next waiter consumes it and retries at once) or `pdWait`/a goroutine
// (parked). An edge, a close or an expired deadline moves a waiter out and makes it
// runnable; the woken goroutine re-checks why (closed: `.closed`; deadline: `.timeout`;
// ready: retry the call).
//
// Stale wake-ups. epoll's data word names a slot of the poller's table and the slot's
// generation (Go's fdseq): a slot is reused after its descriptor is closed, and an event
// for the old descriptor that was already in some thread's buffer finds a different
// generation and is dropped. Deadline timers carry the deadline's own sequence number
// (Go's rseq/wseq), so a timer that fires after the deadline was changed does nothing.
//
// Where the scheduler polls (as in Go's proc.go):
//   * findRunnable, holding a P, polls without blocking before it steals (when goroutines
//     wait in IO and no M is blocked in the poller);
//   * an M about to park with nothing to do blocks in epoll_wait instead, until the earliest
//     timer (Go's pollUntil). One M at a time: it claims the poller by swapping `lastPoll`
//     to 0 (Go's sched.lastpoll). Arming a timer earlier than that M's deadline breaks it
//     out through the eventfd (`breakPoll`, Go's netpollBreak); so does shutdown. New
//     goroutine work does not need the polling M: `wakep` starts another;
//   * sysmon polls when nobody has for 10 ms (an M may be busy, or every M parked while the
//     poll was claimed), counting itself in `wakesInFlight` while it readies goroutines;
//   * `checkdead` does not report a deadlock while goroutines wait in IO: the poller may
//     still wake them (Go never counts them as deadlocked: its polling M is not idle).
// Deterministic mode refuses network use (`NetError.unsupported`): readiness comes from
// the kernel, at times no seed can replay.
//
// What we simplified. Go's rg/wg are lock-free words CASed by the poller and the waiter;
// ours are changed under the poll descriptor's lock (one short critical section per
// wake-up). Go's fdMutex (internal/poll/fd_mutex.go) is one CASed word holding the closed
// bit, a read lock, a write lock, the reference count and the counts of goroutines queued
// on two semaphores; ours keeps the same state as fields under that same lock, with FIFO
// queues of parked goroutines (`PollDesc.rwlock`), and hands a released lock straight to
// the next waiter where Go wakes it to compete again. The behaviour is Go's: one read
// (or accept) and one write (or connect) run at a time per descriptor, a second goroutine
// in the same direction waits its turn `[semacquire]`, and a close wakes every waiter
// with `.closed`; the kernel descriptor is released when the last user leaves.
// Linux only (epoll): elsewhere the C shim answers ENOSYS and the first network use throws
// `NetError.unsupported`.

/// A scheduler's epoll instance and the table of poll descriptors it watches.
final class Netpoller: @unchecked Sendable {
    let epfd: Int32
    /// Non-blocking eventfd registered level-triggered in `epfd` under `breakTag` (see
    /// tc_epoll_add_level): written to break an M out of epoll_wait (Go's netpollBreakWr).
    let eventfd: Int32
    static let breakTag: UInt64 = .max
    /// Set while a break is pending (Go's netpollWakeSig), so concurrent breaks write once;
    /// exchanged acquire-release; a blocking poll that reads the eventfd clears it.
    let breakPending = Atomic<Bool>(false)
    /// Goroutines parked in IO wait (Go's netpollWaiters): raised under a descriptor's lock
    /// before its waiter parks, lowered by whoever takes the waiter out. Sequentially
    /// consistent: `checkdead` and the parking M read it to decide whether to poll.
    let waiters = Atomic<Int>(0)
    /// nanotime of the end of the last poll (a non-blocking one in findRunnable moves it on
    /// at most once a millisecond), 0 while an M is blocked in epoll_wait (Go's
    /// sched.lastpoll). Sequentially consistent (the claim is an exchange, the other
    /// updates CAS from a non-zero value, or store after a claim).
    let lastPoll = Atomic<Int64>(1)
    /// The deadline the blocked M sleeps until (0: none or forever), for `breakPoll`
    /// decisions (Go's sched.pollUntil); sequentially consistent.
    let pollUntil = Atomic<Int64>(0)

    /// Guards `slots` and `free`.
    private let tableLock = RuntimeLock()
    private var slots: [PollDesc?] = []  // tableLock
    private var free: [Int] = []  // tableLock
    private var generation: UInt32 = 0  // tableLock

    init() throws(NetError) {
        let e = tc_epoll_create()
        if e < 0 { throw .system(errno: -e, "epoll_create1") }
        let f = tc_eventfd_create()
        if f < 0 {
            _ = tc_fd_close(e)
            throw .system(errno: -f, "eventfd")
        }
        let r = tc_epoll_add_level(e, f, Netpoller.breakTag)
        if r < 0 {
            _ = tc_fd_close(e)
            _ = tc_fd_close(f)
            throw .system(errno: -r, "epoll_ctl")
        }
        epfd = e
        eventfd = f
    }

    /// Registers `fd` (non-blocking, owned from now on by the returned descriptor) with
    /// epoll. On failure `fd` is closed.
    func register(_ fd: Int32, sched: Scheduler) throws(NetError) -> PollDesc {
        tableLock.lock()
        let slot: Int
        if let s = free.popLast() { slot = s } else {
            slot = slots.count
            slots.append(nil)
        }
        generation &+= 1
        let pd = PollDesc(fd: fd, slot: slot, generation: generation, poller: self, sched: sched)
        slots[slot] = pd
        tableLock.unlock()
        let r = tc_epoll_add(epfd, fd, pd.tag)
        if r < 0 {
            release(pd)
            _ = tc_fd_close(fd)
            throw .system(errno: -r, "epoll_ctl")
        }
        return pd
    }

    /// Removes `pd` from epoll and frees its slot (its descriptor is about to be closed).
    func unregister(_ pd: PollDesc) {
        _ = tc_epoll_del(epfd, pd.fd)
        release(pd)
    }

    private func release(_ pd: PollDesc) {
        tableLock.withLock {
            if slots[pd.slot] === pd {
                slots[pd.slot] = nil
                free.append(pd.slot)
            }
        }
    }

    /// The descriptor an event names, nil when its slot has moved on (a stale event).
    private func lookup(_ tag: UInt64) -> PollDesc? {
        let slot = Int(tag >> 32), gen = UInt32(truncatingIfNeeded: tag)
        return tableLock.withLock {
            guard slot < slots.count, let pd = slots[slot], pd.generation == gen else { return nil }
            return pd
        }
    }

    /// Waits up to `delay` ns for readiness (< 0: until some; 0: just look) and returns the
    /// goroutines it made ready, still in `.waiting` (Go's netpoll). The caller readies them.
    func netpoll(delay: Int64) -> [GoroutineRef] {
        let waitms: Int32
        if delay < 0 { waitms = -1 } else if delay == 0 { waitms = 0 } else if delay < 1_000_000 { waitms = 1 }
        else if delay < 1_000_000_000_000_000 { waitms = Int32(clamping: delay / 1_000_000) } else { waitms = 1_000_000_000 }
        var ready: [GoroutineRef] = []
        // The event buffer lives on the calling thread's stack (Go's `var events [128]epollevent`):
        // findRunnable calls this on every look for work while goroutines wait in IO.
        withUnsafeTemporaryAllocation(of: tc_poll_event.self, capacity: 128) { events in
            var n: Int32
            repeat {
                n = tc_epoll_wait(epfd, events.baseAddress, 128, waitms)
                // EINTR: retried, except by a timed poll, which returns so that its caller
                // recomputes the deadline (Go).
            } while n == -EINTR && waitms <= 0
            for i in 0..<max(0, Int(n)) {
                let ev = events[i]
                if ev.data == Netpoller.breakTag {
                    // Only a blocking poll consumes a break (Go): a non-blocking one leaves it
                    // for the M it was meant for.
                    if delay != 0 {
                        tc_eventfd_drain(eventfd)
                        breakPending.store(false, ordering: .sequentiallyConsistent)
                    }
                    continue
                }
                guard let pd = lookup(ev.data) else { continue }
                pd.netpollReady(read: ev.ready & UInt32(TC_POLL_READ) != 0,
                                write: ev.ready & UInt32(TC_POLL_WRITE) != 0, into: &ready)
            }
        }
        return ready
    }

    /// Wakes the M blocked in `netpoll` (Go's netpollBreak); one write per pending break.
    func breakPoll() {
        if breakPending.exchange(true, ordering: .sequentiallyConsistent) { return }
        tc_eventfd_signal(eventfd)
    }

    /// At scheduler shutdown, after every thread left: closes the descriptors still open
    /// (leaked by the program, or held by abandoned goroutines), then epoll and the eventfd.
    func closeAll() {
        let open = tableLock.withLock {
            let o = slots.compactMap { $0 }
            slots = []  // each descriptor holds this poller: drop the cycle
            return o
        }
        for pd in open { _ = tc_fd_close(pd.fd) }
        _ = tc_fd_close(eventfd)
        _ = tc_fd_close(epfd)
    }
}

/// The scheduler's hold on its netpoller: created lazily, on first network use (Go's
/// netpollGenericInit), so a program without sockets has no epoll instance.
final class NetpollState: @unchecked Sendable {
    /// Set (release) once `poller` is written; loaded acquire before reading it.
    let inited = Atomic<Bool>(false)
    /// Serialises the creation.
    private let initLock = RuntimeLock()
    /// Written once under initLock before `inited` is set; read only after `inited` is seen.
    private var storage: Netpoller?

    /// The poller if created (no side effect): for the scheduler's polling points.
    @inline(__always) var poller: Netpoller? {
        inited.load(ordering: .acquiring) ? storage : nil
    }

    /// The poller, creating it on first use.
    func get(_ sched: Scheduler) throws(NetError) -> Netpoller {
        if let p = poller { return p }
        if sched.deterministic {
            throw .unsupported("network I/O is not available in deterministic mode (SchedulerConfig.deterministic): "
                + "socket readiness comes from the kernel and cannot be replayed from a seed")
        }
        initLock.lock()
        defer { initLock.unlock() }
        if let p = storage { return p }
        let p: Netpoller
        do { p = try Netpoller() } catch {
            if case .system(ENOSYS, _) = error { throw .unsupported("network I/O needs Linux (epoll)") }
            throw error
        }
        storage = p
        inited.store(true, ordering: .releasing)
        return p
    }

    /// Goroutines parked in IO wait (0 before first use).
    var waiters: Int { poller?.waiters.load(ordering: .sequentiallyConsistent) ?? 0 }
}
