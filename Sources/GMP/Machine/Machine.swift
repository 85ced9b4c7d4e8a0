import CContext
import Synchronization

/// A machine: an OS thread that runs goroutines while it holds a P (Go's `m`, runtime2.go).
///
/// Each M has a g0 context: its own thread stack, on which the scheduler loop runs. A
/// goroutine gives up its M by switching to g0 with a `PendingAction` saying what the
/// scheduler should do with it (Go's mcall(fn)); g0 performs the action *after* the
/// goroutine's registers are saved, so no other thread can resume the goroutine while it
/// is still running on this one.
final class Machine: @unchecked Sendable {
    let id: Int
    unowned(unsafe) let sched: Scheduler
    /// This thread's own stack as a context. Touched only by this M's thread.
    let g0: UnsafeMutablePointer<tc_context>
    /// The goroutine running on this M, if any. Owned by this M's thread.
    unowned(unsafe) var curg: Goroutine?
    /// The P held, if any (Go's m.p). Written by this M's thread (acquirep/releasep).
    unowned(unsafe) var p: Processor?
    /// A P handed to this M by startm before waking it; read after the park note.
    unowned(unsafe) var nextp: Processor?
    /// The P this M held when its goroutine entered a syscall (Go's m.oldp).
    unowned(unsafe) var oldp: Processor?
    /// True while looking for work (Go's m.spinning); counted in `Scheduler.nmspinning`.
    /// Set by startm before the wake-up, then owned by this M.
    var spinning = false
    /// Parks this thread when it has no P (Go's m.park).
    let park = Note()
    /// What the goroutine that just switched to g0 asked for. Owned by this M's thread.
    var pending: PendingAction = .none
    /// Fast per-M random numbers for steal order (owned by this M).
    var rng: UInt64

    init(id: Int, sched: Scheduler) {
        self.id = id
        self.sched = sched
        g0 = .allocate(capacity: 1)
        g0.initialize(to: tc_context())
        rng = 0x9E37_79B9_7F4A_7C15 &* UInt64(id + 1)
    }

    deinit {
        g0.deallocate()
        park.deallocate()
    }

    /// The M running the calling code, if it is a scheduler thread.
    @inline(__always) static var current: Machine? {
        guard let raw = tc_tls_m() else { return nil }
        return Unmanaged<Machine>.fromOpaque(raw).takeUnretainedValue()
    }

    func nextRandom() -> UInt64 {
        rng ^= rng << 13
        rng ^= rng >> 7
        rng ^= rng << 17
        return rng
    }

    /// Starts the OS thread. The thread keeps the M alive until it exits.
    func startThread() {
        let arg = Unmanaged.passRetained(self).toOpaque()
        let r = tc_thread_start({ raw in
            let m = Unmanaged<Machine>.fromOpaque(raw!).takeRetainedValue()
            m.mstart()
        }, arg)
        if r != 0 {
            Unmanaged<Machine>.fromOpaque(arg).release()
            sched.fail(.resourceLimit("cannot create OS thread for M\(id): errno \(r)"))
        }
    }

    /// Thread entry (Go's mstart): set up g0, then run the scheduler until shutdown.
    private func mstart() {
        tc_tls_set_m(Unmanaged.passUnretained(self).toOpaque())
        tc_context_init_thread(g0)
        tc_signals_thread_init()
        if let np = nextp {
            nextp = nil
            sched.acquirep(self, np)
        }
        scheduleLoop()
        tc_tls_set_m(nil)
        sched.mExited()
    }

    /// The scheduler loop on g0 (Go's schedule): find a goroutine, run it until it switches
    /// back, do what it asked, repeat. Returns at shutdown.
    private func scheduleLoop() {
        while true {
            if p == nil && !sched.stopm(self) { return }
            guard let (gr, inherit) = sched.findRunnable(self) else { return }
            unowned(unsafe) let g = gr
            if spinning { sched.resetSpinning(self) }
            execute(g, inheritTime: inherit)
            finishSwitch()
        }
    }

    /// Runs `g` on this M until it switches back to g0 (Go's execute + gogo).
    private func execute(_ g: Goroutine, inheritTime: Bool) {
        unowned(unsafe) let p = self.p!
        curg = g
        g.m = self
        g.casStatus(from: .runnable, to: .running)
        if !inheritTime {
            // Owner-only writer: a plain load/store pair, no read-modify-write.
            p.schedtick.store(p.schedtick.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        }
        p.curgBits.store(gBits(g), ordering: .relaxed)
        let st = g.stack!
        tc_tls_set_g(Unmanaged.passUnretained(g).toOpaque(), g.id, st.guardLo, st.lo)
        tc_switch(g0, g.context)
        tc_tls_set_g(nil, 0, nil, nil)
    }

    /// Performs the pending action of the goroutine that just switched to g0.
    private func finishSwitch() {
        unowned(unsafe) let g = curg!
        curg = nil
        g.m = nil
        let action = pending
        pending = .none
        if let p { p.curgBits.store(0, ordering: .relaxed) }
        switch action {
        case .none:
            fatal("goroutine \(g.id) switched to g0 with no pending action")
        case .yield, .preempted:
            g.casStatus(from: .running, to: .runnable)
            sched.yieldPut(g, self)
        case .preemptStop:
            g.casStatus(from: .running, to: .preempted)
        case .park(let l):
            g.casStatus(from: .running, to: .waiting)
            if let l { tc_lock_release(l) }
        case .parkMany(let locks):
            g.casStatus(from: .running, to: .waiting)
            for l in locks.reversed() { tc_lock_release(l) }
        case .parkTimer(let when):
            g.casStatus(from: .running, to: .waiting)
            sched.timers.add(when: when, g)
        case .exit:
            sched.goexit0(g, self)
        case .exitSyscall:
            sched.exitsyscall0(g, self)
        case .abandon:
            break
        }
    }
}

/// What a goroutine asks g0 to do after it switched out (the argument of Go's mcall).
enum PendingAction {
    case none
    /// Gosched: runnable again, at the tail of the global queue.
    case yield
    /// Preempted by sysmon or the world-stopper: like yield.
    case preempted
    /// Stop in `.preempted` for `Scheduler.suspend`.
    case preemptStop
    /// Block in `.waiting`, then release the lock (if any) the goroutine held.
    case park(UnsafeMutablePointer<tc_lock>?)
    /// Block in `.waiting`, then release every lock (a select over several channels).
    case parkMany([UnsafeMutablePointer<tc_lock>])
    /// Block in `.waiting` until the time `when` (scheduler clock).
    case parkTimer(Int64)
    /// The goroutine finished.
    case exit
    /// exitsyscall found no P: queue the goroutine and find one.
    case exitSyscall
    /// The scheduler is shutting down: leave the goroutine where it is.
    case abandon
}
