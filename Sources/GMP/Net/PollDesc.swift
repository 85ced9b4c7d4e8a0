import CContext
import Synchronization

// A poll descriptor (Go's pollDesc, netpoll.go): one per registered socket, holding the two
// directions' waiter semaphores, the deadlines and the close state. Netpoller.swift's
// opening comment explains the protocol.

final class PollDesc: @unchecked Sendable {
    /// A direction's semaphore (Go's rg/wg: pdNil, pdReady, or the parked goroutine; Go's
    /// transient pdWait is not needed because the waiter parks under `lock`).
    enum Sema {
        case none
        case ready
        case waiting(GoroutineRef)
    }
    enum Mode { case read, write }

    /// The kernel descriptor, owned by this object: closed by `destroy` (or the poller's
    /// `closeAll` at shutdown). Immutable.
    let fd: Int32
    /// Slot in the poller's table and its generation: the epoll data word (`tag`). Immutable.
    let slot: Int
    let generation: UInt32
    var tag: UInt64 { UInt64(slot) << 32 | UInt64(generation) }
    let poller: Netpoller
    let sched: Scheduler

    /// Guards every field below (Go's pd.lock, which we also use for rg/wg).
    let lock = RuntimeLock()
    private var rg: Sema = .none
    private var wg: Sema = .none
    /// Set by `close`: every later wait and operation fails with `.closed` (Go's pd.closing).
    private(set) var closing = false
    /// Operations in progress on `fd` (Go's fdMutex reference count): the kernel
    /// descriptor is released when the last one ends after `close`, never under a call.
    private var refs = 0
    private var destroyed = false
    /// The read and write locks of Go's fdMutex: held by the goroutine inside a read
    /// (accept) or a write (connect); a second one in the same direction queues here and
    /// parks `[semacquire]` until the holder hands the lock over (`rwunlock`) or `close`
    /// wakes it with `.closed`. Waiters live on their goroutines' stacks (WaitQueue.swift).
    private var rlocked = false
    private var wlocked = false
    private var rq = WaitQueue()
    private var wq = WaitQueue()
    /// Deadlines on the scheduler clock: 0 none, -1 passed, else the time (Go's rd/wd).
    private var rd: Int64 = 0
    private var wd: Int64 = 0
    /// Bumped whenever a deadline changes, so a timer armed for an older one does nothing
    /// (Go's rseq/wseq).
    private var rseq = 0
    private var wseq = 0
    /// The armed deadline timers (nil: none).
    private var rtimer: RuntimeTimer?
    private var wtimer: RuntimeTimer?

    init(fd: Int32, slot: Int, generation: UInt32, poller: Netpoller, sched: Scheduler) {
        self.fd = fd
        self.slot = slot
        self.generation = generation
        self.poller = poller
        self.sched = sched
    }

    // MARK: Users and close

    /// Counts the caller as a user of `fd` until `endUse`; `.closed` after `close`.
    func beginUse() throws(NetError) {
        lock.lock()
        defer { lock.unlock() }
        if closing { throw .closed }
        refs += 1
    }

    func endUse() {
        lock.lock()
        refs -= 1
        let last = closing && refs == 0 && !destroyed
        if last { destroyed = true }
        lock.unlock()
        if last { destroy() }
    }

    /// Takes the read or write lock of the descriptor and counts the caller as a user
    /// (Go's fdMutex.rwlock): a read, an accept, a write or a connect runs whole under it,
    /// so two goroutines reading one connection take turns instead of interleaving inside
    /// one call (and two writers' messages never mix). While another goroutine holds the
    /// lock the caller parks `[semacquire]` in FIFO order; `.closed` after `close`, also
    /// for a goroutine still waiting its turn when `close` comes. Ends with `unlock(mode)`.
    func rwlock(_ mode: Mode) throws(NetError) {
        let g = Goroutine.mustCurrent(mode == .read ? "read/accept" : "write/connect")
        lock.lock()
        if closing {
            lock.unlock()
            throw .closed
        }
        if !(mode == .read ? rlocked : wlocked) {
            if mode == .read { rlocked = true } else { wlocked = true }
            refs += 1
            lock.unlock()
            return
        }
        var w = Waiter(g)
        withUnsafeMutablePointer(to: &w) { wp in
            if mode == .read { rq.enqueue(wp) } else { wq.enqueue(wp) }
            g.park(.semacquire, unlocking: lock.raw)
        }
        // `rwunlock` handed over the lock and its reference (success), or `close` woke us.
        if !w.success { throw .closed }
    }

    /// Releases `mode`'s lock (Go's fdMutex.rwunlock): hands it, with its reference, to
    /// the longest waiter, else drops the reference (releasing `fd` when it was the last
    /// after `close`).
    func rwunlock(_ mode: Mode) {
        lock.lock()
        if let next = mode == .read ? rq.dequeue() : wq.dequeue() {
            next.pointee.success = true
            let g = next.pointee.g  // the waiter's frame may be gone once its goroutine runs
            lock.unlock()
            readyAll([g])
            return
        }
        if mode == .read { rlocked = false } else { wlocked = false }
        refs -= 1
        let last = closing && refs == 0 && !destroyed
        if last { destroyed = true }
        lock.unlock()
        if last { destroy() }
    }

    /// Marks the descriptor closed, wakes both poll waiters and every goroutine queued for
    /// the read or write lock with `.closed` (Go's evict and increfAndClose) and releases
    /// `fd` once no operation uses it. A second close is `.closed`.
    func close() throws(NetError) {
        lock.lock()
        if closing {
            lock.unlock()
            throw .closed
        }
        closing = true
        stopTimerLocked(.read)
        stopTimerLocked(.write)
        var woken = [unblockLocked(.read, ioready: false), unblockLocked(.write, ioready: false)]
        while let w = rq.dequeue() ?? wq.dequeue() {
            w.pointee.success = false
            woken.append(w.pointee.g)
        }
        let now = refs == 0
        if now { destroyed = true }
        lock.unlock()
        readyAll(woken)
        if now { destroy() }
    }

    private func destroy() {
        poller.unregister(self)
        _ = tc_fd_close(fd)
    }

    // MARK: Waiting

    /// Parks the calling goroutine until `mode` is ready (returns: retry the call), the
    /// descriptor is closed (`.closed`) or the direction's deadline passes (`.timeout`).
    /// Go's netpollblock plus netpollcheckerr. The caller holds `mode`'s lock (`rwlock(mode)`),
    /// so at most one goroutine waits per direction.
    func wait(_ mode: Mode) throws(NetError) {
        let g = Goroutine.mustCurrent("TCPConnection/TCPListener")
        lock.lock()
        while true {
            if closing {
                lock.unlock()
                throw .closed
            }
            if deadline(mode) < 0 {
                lock.unlock()
                throw .timeout
            }
            switch sema(mode) {
            case .ready:
                setSema(mode, .none)
                lock.unlock()
                return
            case .waiting(let other):
                lock.unlock()
                fatal("netpoller: goroutine \(g.id) waits to \(mode == .read ? "read" : "write") fd \(fd) while goroutine "
                    + "\(other.withGoroutine { $0.id }) already waits in the same direction (a caller without the fdMutex lock)")
            case .none:
                setSema(mode, .waiting(g.ref))
                poller.waiters.add(1, ordering: .sequentiallyConsistent)
                g.park(.ioWait, unlocking: lock.raw)
                lock.lock()
            }
        }
    }

    /// The poller saw readiness (Go's netpollready): waiters move to `into`, and an edge
    /// with no waiter is kept as `.ready`.
    func netpollReady(read: Bool, write: Bool, into list: inout [GoroutineRef]) {
        lock.lock()
        if read, let g = unblockLocked(.read, ioready: true) { list.append(g) }
        if write, let g = unblockLocked(.write, ioready: true) { list.append(g) }
        lock.unlock()
    }

    /// Takes the waiter of `mode` out (Go's netpollunblock); with `ioready` the direction
    /// is left `.ready` for it (or for the next waiter). Requires lock.
    private func unblockLocked(_ mode: Mode, ioready: Bool) -> GoroutineRef? {
        switch sema(mode) {
        case .waiting(let g):
            setSema(mode, ioready ? .ready : .none)
            poller.waiters.subtract(1, ordering: .sequentiallyConsistent)
            return g
        case .none:
            if ioready { setSema(mode, .ready) }
            return nil
        case .ready:
            return nil
        }
    }

    private func readyAll(_ gs: [GoroutineRef?]) {
        for case let g? in gs { g.withGoroutine { sched.ready($0, next: false) } }
    }

    private func sema(_ mode: Mode) -> Sema { mode == .read ? rg : wg }
    private func setSema(_ mode: Mode, _ s: Sema) { if mode == .read { rg = s } else { wg = s } }
    private func deadline(_ mode: Mode) -> Int64 { mode == .read ? rd : wd }

    // MARK: Deadlines (Go's poll_runtime_pollSetDeadline)

    /// Sets the deadline of `mode` to `when` on the scheduler clock (nil: none). A deadline
    /// already passed wakes the waiter with `.timeout`; a later one arms a runtime timer on
    /// the calling goroutine's P. Call from a goroutine.
    func setDeadline(_ mode: Mode, _ when: Int64?) throws(NetError) {
        let g = Goroutine.mustCurrent("TCPConnection.setDeadline")
        lock.lock()
        if closing {
            lock.unlock()
            throw .closed
        }
        stopTimerLocked(mode)
        let seq: Int
        if mode == .read { rseq += 1; seq = rseq } else { wseq += 1; seq = wseq }
        var woke: GoroutineRef?
        if let when {
            if when <= sched.now() {
                setDeadlineLocked(mode, -1)
                woke = unblockLocked(mode, ioready: false)
            } else {
                setDeadlineLocked(mode, when)
                let t = RuntimeTimer(.call({ [self] _ in deadlineFired(mode, seq: seq) }))
                let p = Scheduler.timerProcessor(g, "TCPConnection.setDeadline")
                t.modLock.withLock { sched.addTimer(t, when: when, period: 0, on: p, wake: true) }
                if mode == .read { rtimer = t } else { wtimer = t }
            }
        } else {
            setDeadlineLocked(mode, 0)
        }
        lock.unlock()
        readyAll([woke])
    }

    private func setDeadlineLocked(_ mode: Mode, _ v: Int64) { if mode == .read { rd = v } else { wd = v } }

    /// Requires lock. Lock order: pd.lock, then the timer's modLock, then a heap lock; the
    /// firing path takes pd.lock only after the heap lock is released.
    private func stopTimerLocked(_ mode: Mode) {
        guard let t = mode == .read ? rtimer : wtimer else { return }
        _ = t.modLock.withLock { sched.stopTimer(t) }
        if mode == .read { rtimer = nil } else { wtimer = nil }
    }

    /// A deadline timer fired (Go's netpolldeadlineimpl): on g0 or a thread without a P,
    /// which readies the waiter by the timer rules (Scheduler+Timers.swift).
    private func deadlineFired(_ mode: Mode, seq: Int) {
        lock.lock()
        if closing || seq != (mode == .read ? rseq : wseq) {
            lock.unlock()
            return
        }
        setDeadlineLocked(mode, -1)
        if mode == .read { rtimer = nil } else { wtimer = nil }
        let g = unblockLocked(mode, ioready: false)
        lock.unlock()
        readyAll([g])
    }
}
