import CContext
import Synchronization

// The M (Go's `m`): an OS thread, its g0 context and the scheduler loop it runs, and the
// `PendingAction` a goroutine leaves for g0 when it switches out.

/// A machine: an OS thread that runs goroutines while it holds a P (Go's `m`, runtime2.go).
///
/// Each M has a g0 context: its own thread stack, on which the scheduler loop runs. A
/// goroutine gives up its M by switching to g0 with a `PendingAction` saying what the
/// scheduler should do with it (Go's mcall(fn)); g0 performs the action *after* the
/// goroutine's registers are saved, so no other thread can resume the goroutine while it
/// is still running on this one.
@usableFromInline final class Machine: @unchecked Sendable {
    let id: Int
    /// The scheduler, +0 (it outlives its Ms; GoroutineRef.swift has the ownership rule).
    /// Immutable. Hot paths borrow it with `_withUnsafeGuaranteedRef`.
    let schedU: Unmanaged<Scheduler>
    var sched: Scheduler { @inline(__always) get { schedU.takeUnretainedValue() } }
    /// This thread's own stack as a context. Touched only by this M's thread.
    let g0: UnsafeMutablePointer<tc_context>
    /// The P held, if any (Go's m.p), +0. Written and read only by this M's thread
    /// (acquirep/releasep, entersyscall/exitsyscall); a P handed over by another thread
    /// arrives through `nextp`.
    private(set) var pU: Unmanaged<Processor>?
    var p: Processor? {
        @inline(__always) get { pU?.takeUnretainedValue() }
        @inline(__always) set {
            pU = newValue.map { Unmanaged.passUnretained($0) }
            pLocalCell.pointee = newValue?.localStorageRaw
        }
    }
    /// Mirror of `pU` for other modules' hot paths (`Processor.currentLocalStorageCell`):
    /// the address of the held P's `localStorageRaw` cell, nil with no P. Stable memory
    /// (allocated in init), so reading it takes no retain and no exclusivity check.
    /// Written only by the `p` setter, together with `pU`, so it has `pU`'s protection.
    @usableFromInline let pLocalCell: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutableRawPointer?>?>
    /// A P handed to this M by startm before waking it (or before its thread starts); read
    /// after the park note returns (its release/acquire pair, or thread creation, orders the
    /// write before the read).
    unowned(unsafe) var nextp: Processor?
    /// The P this M held when its goroutine entered a syscall (Go's m.oldp); this M's thread
    /// only.
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
    /// Switches to g0 not yet added to `SchedulerStats.contextSwitches` (owned by this M):
    /// the shared counter is updated once per 256 switches and when the M exits, so the
    /// hot path does no read-modify-write on a shared cache line.
    var unflushedSwitches = 0
    /// The function a goroutine asked g0 to run for it (`Goroutine.onSystemStack`), set just
    /// before its `.systemStack` switch; owned by this M's thread.
    var systemStackFn: (() -> Void)?
    /// True while g0 runs `systemStackFn` (a nested call runs directly); this M's thread only.
    var onSystemStack = false

    init(id: Int, sched: Scheduler) {
        self.id = id
        self.schedU = Unmanaged.passUnretained(sched)
        g0 = .allocate(capacity: 1)
        g0.initialize(to: tc_context())
        pLocalCell = .allocate(capacity: 1)
        pLocalCell.initialize(to: nil)
        rng = 0x9E37_79B9_7F4A_7C15 &* UInt64(id + 1)
    }

    deinit {
        g0.deallocate()
        pLocalCell.deallocate()
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

    /// Thread entry (Go's mstart): set up g0, then run the scheduler until shutdown. Also
    /// called on the thread of a deterministic `Scheduler.run` (`startm(onCallingThread:)`).
    func mstart() {
        tc_tls_set_m(Unmanaged.passUnretained(self).toOpaque())
        tc_context_init_thread(g0)
        tc_signals_thread_init()
        _ = sched.acquireNextp(self)
        scheduleLoop()
        flushSwitchCount()
        tc_tls_set_m(nil)
        sched.mExited()
    }

    /// The scheduler loop on g0 (Go's schedule): find a goroutine, run it until it switches
    /// back, do what it asked, repeat. Returns at shutdown. A goroutine that yielded may
    /// name the next one itself (`Scheduler.yieldSwap`, the answer findRunnable would give,
    /// found in the same hold of `lock`); otherwise the next comes from `schedule`.
    private func scheduleLoop() {
        var next: GoroutineRef? = nil
        while true {
            let inherit: Bool
            let gr: GoroutineRef
            if let n = next {
                (gr, inherit) = (n, false)
                next = nil
            } else {
                guard let r = schedule() else { return }
                (gr, inherit) = r
            }
            gr.withGoroutine { g in
                execute(g, inheritTime: inherit)
                while case .systemStack = pending { runOnSystemStack(g) }
                next = finishSwitch(g)
            }
        }
    }

    /// The next goroutine for this M (Go's schedule, up to execute): a P if it has none
    /// (stopm), a goroutine (findRunnable), and a spinning M that found one stops spinning
    /// (resetspinning). Nil at shutdown, or in a lab when the M parked. `SchedulerLab`
    /// steps its Ms through this same function.
    @inline(__always)
    func schedule() -> (g: GoroutineRef, inheritTime: Bool)? {
        if pU == nil && !sched.stopm(self) { return nil }
        guard let r = schedU._withUnsafeGuaranteedRef({ $0.findRunnable(self) }) else { return nil }
        if spinning { sched.resetSpinning(self) }
        return r
    }

    /// Makes `g` this M's running goroutine (Go's execute, before gogo): its M, its status,
    /// the P's tick (the fairness check in findRunnable and sysmon's preemption read it)
    /// and current goroutine. A lab calls it for the goroutine its M "runs".
    @inline(__always)
    func beginRun(_ g: Goroutine, inheritTime: Bool) {
        g.mU = Unmanaged.passUnretained(self)
        g.casStatus(from: .runnable, to: .running)
        pU.unsafelyUnwrapped._withUnsafeGuaranteedRef { p in
            if !inheritTime {
                // Owner-only writer: a plain load/store pair, no read-modify-write.
                p.schedtick.store(p.schedtick.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
            }
            p.curg.store(g.ref, ordering: .relaxed)
        }
    }

    /// Runs `g` on this M until it switches back to g0 (Go's execute + gogo).
    @inline(__always)
    private func execute(_ g: Goroutine, inheritTime: Bool) {
        beginRun(g, inheritTime: inheritTime)
        let st = g.stack.unsafelyUnwrapped
        let traced = schedU._withUnsafeGuaranteedRef { $0.tracing }
        let t0 = traced ? nanotime() : 0
        tc_tls_set_g(g.ref.raw, g.id, st.guardLo, st.lo)
        tc_switch(g0, g.context)
        tc_tls_set_g(nil, 0, nil, nil)
        if traced, let hook = sched.hooks.onRunSlice {
            hook(g.id, pU.map { $0.takeUnretainedValue().id } ?? -1, t0, nanotime())
        }
    }

    /// Performs the pending action of `g`, the goroutine that just switched to g0; returns
    /// the goroutine to run next when a yield found it (`Scheduler.yieldSwap`), else nil.
    @inline(__always)
    private func finishSwitch(_ g: Goroutine) -> GoroutineRef? {
        g.mU = nil
        unflushedSwitches &+= 1
        if unflushedSwitches == 256 { flushSwitchCount() }
        let action = pending
        pending = .none
        if let pU { pU._withUnsafeGuaranteedRef { $0.curg.store(nil, ordering: .relaxed) } }
        switch action {
        case .yield, .preempted:
            g.leaveRunning(to: .runnable)
            return schedU._withUnsafeGuaranteedRef { $0.yieldSwap(g, self) }
        case .park(let l):
            g.leaveRunning(to: .waiting)
            if let l { tc_lock_release(l) }
        case .exit:
            schedU._withUnsafeGuaranteedRef { $0.goexit0(g, self) }
        default:
            finishSwitchSlow(g, action)
        }
        return nil
    }

    func flushSwitchCount() {
        sched.stats.contextSwitches.add(unflushedSwitches, ordering: .relaxed)
        unflushedSwitches = 0
    }

    /// The less frequent pending actions.
    @inline(never)
    private func finishSwitchSlow(_ g: Goroutine, _ action: PendingAction) {
        switch action {
        case .none:
            fatal("goroutine \(g.id) switched to g0 with no pending action")
        case .yield, .preempted:
            g.leaveRunning(to: .runnable)
            sched.yieldPut(g, self)
        case .preemptStop:
            g.leaveRunning(to: .preempted)
        case .park(let l):
            g.leaveRunning(to: .waiting)
            if let l { tc_lock_release(l) }
        case .parkMany(let locks):
            g.leaveRunning(to: .waiting)
            for l in locks.reversed() { tc_lock_release(l) }
        case .parkTimer(let when):
            g.leaveRunning(to: .waiting)
            sched.addTimer(g.sleepTimer, when: when, period: 0, on: p.unsafelyUnwrapped, wake: false)
        case .exit:
            sched.goexit0(g, self)
        case .exitSyscall:
            sched.exitsyscall0(g, self)
        case .abandon:
            break
        case .systemStack:
            fatal("goroutine \(g.id) switched goroutines while on the system stack (Goroutine.onSystemStack must not block)")
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
    /// Stop in `.preempted` for `Scheduler.withSuspended`.
    case preemptStop
    /// Block in `.waiting`, then release the lock (if any) the goroutine held.
    case park(UnsafeMutablePointer<tc_lock>?)
    /// Block in `.waiting`, then release every lock (a select over several channels). The
    /// buffer belongs to the parking goroutine's frame, which stays put while it is parked;
    /// a buffer (not an array) keeps the enum trivial, so setting `pending` costs no
    /// retain/release.
    case parkMany(UnsafeBufferPointer<UnsafeMutablePointer<tc_lock>>)
    /// Block in `.waiting` until the time `when` (scheduler clock), on this M's P's timer heap.
    case parkTimer(Int64)
    /// The goroutine finished.
    case exit
    /// exitsyscall found no P: queue the goroutine and find one.
    case exitSyscall
    /// The scheduler is shutting down: leave the goroutine where it is.
    case abandon
    /// Run `Machine.systemStackFn` on g0, then resume the goroutine (Go's systemstack).
    case systemStack
}
