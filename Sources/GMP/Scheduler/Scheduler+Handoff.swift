import CContext
import Synchronization

// Handing Ps and Ms around: idle lists, starting and parking Ms, handing off Ps, and
// putting readied goroutines where an M will find them (Go's pidleput/pidleget, acquirep/
// releasep, startm, stopm, handoffp, wakep, resetspinning, ready, injectglist; proc.go,
// whose "Worker thread parking/unparking" comment this follows).
//
// The problem. Work appears on per-P queues that no one can survey cheaply, and the
// scheduler must neither leave a P idle while a goroutine waits nor wake a thread that finds
// nothing and parks again. Go's answer, kept here:
//
// When an M is started (`startm`, which takes a parked M from `midle` or creates one, and
// hands it a P through `m.nextp` before waking it; the P belongs to the caller until then):
//   * `wakep`, after work is submitted to a P's queue (`go`, `ready`, `startTheWorld`, new
//     idle-priority work): start one *spinning* M, but only if a P is idle and no M is
//     spinning already.
//   * `handoffp`, for a P whose M is leaving it (below): when the P has work, or, spinning,
//     when no other M spins and no P is idle.
//   * `startIdle`, after a thread without a P (sysmon, a plain thread) put goroutines on the
//     global queue: one M per goroutine while Ps are idle, without deferring to spinners.
//   * `injectList` (Net/), for goroutines the netpoller readied: as `startIdle` for those a
//     thread without a P queued; an M holding a P runs the first itself and queues the rest
//     on its P, with an M started only for as many as there are idle Ps (Go's injectglist).
//     No `wakep` per goroutine: that woke an M for the one this M was about to run.
//   * `run` starts the first M, and `startTheWorld` one per stopped P that has local work.
// An M parks (`stopm`) when it has no P: on `midle`, under `lock`, after `checkdead`, with a
// timeout at the earliest timer of any P so that a timer's deadline wakes someone (an M
// whose timeout fires takes an idle P itself, or with none idle fires the due timers).
//
// When a P is handed off (`handoffp`): its M blocks in the kernel, at once for
// `Scheduler.blockingCall` (Go's entersyscallblock), or when sysmon `retake`s a P that sat
// in a syscall while others waited. The P then goes, in order: to a new M if it has local or
// global work; to a new *spinning* M if no M spins and no P is idle (someone must be around
// to take work that arrives next); to the world-stopper if a stop is in progress; else to
// the idle list. An M also gives up its P when it finds no work (findRunnable: under `lock`,
// after seeing the global queue empty there) or for a stop of the world (`gcstopm`).
//
// Spinning Ms. An M is *spinning* while it holds a P, has no work and is stealing from other
// Ps (`m.spinning`, counted in `nmspinning`). Ms started by `wakep` start out spinning
// (there is no hand-off of the goroutine itself: the new M must find it); findRunnable lets
// an M start spinning only while 2 x spinning < busy Ps. A spinning M that finds work stops
// spinning and calls `wakep` (`resetSpinning`): if it was the last spinner, work may remain,
// so another M starts looking. This smooths out bursts of wake-ups and still reaches full
// parallelism.
//
// Why `wakep` may defer to a spinning M. `wakep` starts nobody when `nmspinning > 0`, trusting
// the spinner to find the new work. That is sound because of the two halves of one
// handshake (Go's "delicate dance"): a submitter (1) puts the work on a queue, then (2) reads
// `nmspinning`; a spinner that gives up (1) gives up its P and decrements `nmspinning`, then
// (2) looks once more at every run queue, the global queue and idle-priority work
// (`recheckAfterSpinning`), taking an idle P back if it finds any. Either the submitter sees
// no spinner and starts an M, or the spinner's last look sees the work. Both counters are
// sequentially consistent, but the submitter's queue store is a release store, not a full
// barrier, so in a weakly ordered interleaving both can miss each other. Go accepts that
// too, and it is safe for the same reason: work a submitter puts on *its own P's* queue is
// run by that P's M in any case, so a lost race costs parallelism, never progress. Hence the
// rule: only work that has an owner M may rely on `wakep`.
//
// Work on the global queue from a thread without a P has no owner, so that submitter does
// not use `wakep` (Go: "we are not sloppy about thread unparking when submitting to global
// queue"). It queues under `lock` and then starts an M per goroutine while `npidle > 0`
// (`startIdle`). No goroutine is stranded: an M that idles its P does so under `lock` after
// seeing the global queue empty there (findRunnable, handoffp), so either it saw the new
// goroutine, or its `pidleput` preceded the submitter's critical section and the submitter
// sees `npidle > 0` (recheckAfterSpinning, too, looks again under `lock` before returning
// the P it took for the idle hook). The deadlock check relies on these rules; the full
// list is in Scheduler+Checkdead.swift.

extension Scheduler {
    /// Puts `p` on the idle list (Go's pidleput). Requires lock.
    func pidleput(_ p: Processor) {
        precondition(p.runqEmpty || gcwaiting.load(ordering: .relaxed) || shuttingDown.load(ordering: .relaxed),
                     "pidleput: P\(p.id) has a non-empty run queue")
        if p.currentStatus != .gcstop { p.setStatus(.idle) }
        p.link = pidle
        pidle = p
        npidle.add(1, ordering: .sequentiallyConsistent)
    }

    /// Takes a P from the idle list (Go's pidleget). Requires lock.
    func pidleget() -> Processor? {
        guard let p = pidle else { return nil }
        pidle = p.link
        p.link = nil
        npidle.subtract(1, ordering: .sequentiallyConsistent)
        return p
    }

    /// Binds `p` to `m` (Go's acquirep); `p` is the caller's, off every list.
    func acquirep(_ m: Machine, _ p: Processor) {
        precondition(m.p == nil && p.m == nil || p.m === m, "acquirep: M\(m.id) / P\(p.id) already bound")
        m.p = p
        p.m = m
        p.setStatus(.running)
    }

    /// Unbinds `m`'s P and returns it (Go's releasep); the caller decides where it goes.
    @discardableResult
    func releasep(_ m: Machine) -> Processor {
        let p = m.p!
        p.m = nil
        m.p = nil
        p.setStatus(.idle)
        return p
    }

    /// Wakes an idle M, or starts a new one, to run `p` (or an idle P). Go's startm. With
    /// `spinning`, the caller has already counted the new M in `nmspinning`; if no P is left
    /// that count is undone. With `onCallingThread` a new M runs on the calling thread
    /// (which must be no M) and this returns when that M leaves (deterministic `run`).
    func startm(_ p: Processor?, spinning: Bool, onCallingThread: Bool = false) {
        lock.lock()
        var pp = p
        if pp == nil {
            pp = pidleget()
            if pp == nil {
                lock.unlock()
                if spinning { nmspinning.subtract(1, ordering: .sequentiallyConsistent) }
                return
            }
        }
        if let nmp = midle.popLast() {
            lock.unlock()
            nmp.spinning = spinning
            nmp.nextp = pp
            stats.threadWakeups.add(1, ordering: .relaxed)
            nmp.park.wakeup()
            return
        }
        if mcount >= config.maxThreads {
            lock.unlock()
            fail(.resourceLimit("too many threads: limit is \(config.maxThreads) (SchedulerConfig.maxThreads)"))
            return
        }
        let nmp = Machine(id: allm.count, sched: self)
        nmp.spinning = spinning
        nmp.nextp = pp
        mcount += 1
        allm.append(nmp)
        if lab != nil {
            // A lab's M is no thread: the lab resumes it (`acquireNextp`) where its thread
            // would start.
            lock.unlock()
            return
        }
        liveThreads.add(1, ordering: .acquiringAndReleasing)
        lock.unlock()
        if onCallingThread { nmp.mstart() } else { nmp.startThread() }
    }

    /// An M that was handed a P (`startm`'s `nextp`) takes it: on its new thread (mstart),
    /// after its park note returns (stopm), or when a lab resumes it. False if none was
    /// handed over.
    func acquireNextp(_ m: Machine) -> Bool {
        guard let np = m.nextp else { return false }
        m.nextp = nil
        acquirep(m, np)
        return true
    }

    /// Parks `m` until startm hands it a P. Returns false at shutdown. Go's stopm.
    func stopm(_ m: Machine) -> Bool {
        precondition(m.p == nil, "stopm: M\(m.id) holds P\(m.p?.id ?? -1)")
        if let lab {
            // A lab's M parks on `midle` and control returns to the lab, which resumes it
            // when `startm` hands it a P.
            lock.withLock { midle.append(m) }
            lab.parked(m.id)
            return false
        }
        while true {
            if shuttingDown.load(ordering: .acquiring) { return false }
            lock.lock()
            midle.append(m)
            checkdead()
            lock.unlock()
            // Sleep until the next timer (Scheduler+Timers.swift: where a netpoll wait goes).
            let timeout = nextTimerDeadline().map { max(0, $0 - nanotime()) } ?? -1
            let woke = m.park.sleep(timeoutNS: timeout)
            if shuttingDown.load(ordering: .acquiring) {
                lock.withLock { midle.removeAll { $0 === m } }
                return false
            }
            if !woke {
                // Timed out for a timer: if nobody claimed us, take an idle P ourselves.
                lock.lock()
                if let i = midle.firstIndex(where: { $0 === m }) {
                    midle.remove(at: i)
                    let pp = pidleget()
                    lock.unlock()
                    if let pp {
                        acquirep(m, pp)
                        return true
                    }
                    // Every P is busy: fire the due timers from here, without a P, so a
                    // long run slice cannot hold them up (and this M does not spin).
                    fireTimersNoP(now: nanotime(), grace: 0)
                    continue
                }
                lock.unlock()
                m.park.sleep()  // startm picked us concurrently: its wake-up is on the way
            }
            m.park.clear()
            if shuttingDown.load(ordering: .acquiring) { return false }
            if acquireNextp(m) { return true }
        }
    }

    /// Starts a spinning M if there is an idle P and nobody is spinning. Go's wakep.
    func wakep() {
        if npidle.load(ordering: .sequentiallyConsistent) == 0 { return }
        if nmspinning.load(ordering: .sequentiallyConsistent) != 0
            || !nmspinning.compareExchange(expected: 0, desired: 1, ordering: .sequentiallyConsistent).exchanged {
            return
        }
        startm(nil, spinning: true)
    }

    /// A spinning M found work: it stops spinning, and if it was the last spinner another
    /// M is started to keep looking (Go's resetspinning).
    func resetSpinning(_ m: Machine) {
        m.spinning = false
        let n = nmspinning.subtract(1, ordering: .sequentiallyConsistent).newValue
        precondition(n >= 0, "resetspinning: negative nmspinning")
        wakep()
    }

    /// Hands off `p` from an M that is blocking (Go's handoffp); the order of the cases is
    /// the one in this file's opening comment.
    func handoffp(_ p: Processor) {
        if !p.runqEmpty || runqsize != 0 {
            startm(p, spinning: false)
            return
        }
        if nmspinning.load(ordering: .sequentiallyConsistent) + npidle.load(ordering: .sequentiallyConsistent) == 0
            && nmspinning.compareExchange(expected: 0, desired: 1, ordering: .sequentiallyConsistent).exchanged {
            startm(p, spinning: true)
            return
        }
        lock.lock()
        if gcwaiting.load(ordering: .acquiring) {
            p.setStatus(.gcstop)
            stopwait -= 1
            if stopwait == 0 { stopNote.wakeup() }
            lock.unlock()
            return
        }
        if runqsize != 0 {
            lock.unlock()
            startm(p, spinning: false)
            return
        }
        pidleput(p)
        lock.unlock()
    }

    /// Makes a waiting goroutine runnable (Go's goready / ready). From a goroutine or g0
    /// holding a P of this scheduler it goes to that P's queue (runnext with `next`) and
    /// `wakep` may add parallelism; otherwise to the global queue, with `startIdle`.
    func ready(_ g: Goroutine, next: Bool = true) {
        g.casStatus(from: .waiting, to: .runnable)
        enqueueRunnable(g, next: next)
    }

    /// Queues the runnable goroutine `g` as `ready` does (a readied one, or a new one from
    /// `spawnDetached`).
    func enqueueRunnable(_ g: Goroutine, next: Bool) {
        if deterministic {
            det!.makeRunnable(g)
            return
        }
        // This thread's M and its P are borrowed: the M is the running thread's own, and
        // only this thread changes which P it holds.
        var queued = false
        if let raw = tc_tls_m() {
            Unmanaged<Machine>.fromOpaque(raw)._withUnsafeGuaranteedRef { m in
                if m.schedU.toOpaque() == Unmanaged.passUnretained(self).toOpaque(), let pU = m.pU {
                    pU._withUnsafeGuaranteedRef { $0.runqput(g.ref, next: next) }
                    queued = true
                }
            }
        }
        if !queued {
            lock.lock()
            globrunqput(g.ref)
            lock.unlock()
            startIdle(1)
            return
        }
        wakep()
    }

    /// Starts up to `n` Ms on idle Ps for goroutines just put on the global queue by a thread
    /// without a P (Go's injectglist). Not `wakep`: this work has no owner M (see this
    /// file's opening comment).
    func startIdle(_ n: Int) {
        var started = 0
        while started < n && npidle.load(ordering: .sequentiallyConsistent) > 0 {
            startm(nil, spinning: false)
            started += 1
        }
    }

    /// Puts a goroutine that yielded or was preempted on the global queue (Go's
    /// goschedImpl), or in deterministic mode on the runnable set. Wakes nobody: the
    /// calling M holds a P and looks at the global queue before it can give the P up.
    @inline(__always)
    func yieldPut(_ g: Goroutine, _ m: Machine) {
        if deterministic {
            det!.spontaneousWakeups.append(g.id)
            det!.makeRunnable(g)
            return
        }
        lock.lock()
        globrunqput(g.ref)
        lock.unlock()
    }

    /// `yieldPut` for the M's own goroutine (`Machine.finishSwitch`), which also takes the
    /// goroutine the M runs next when findRunnable's answer would come from the global queue
    /// anyway: no stop or shutdown pending, no timer on the P, its local queue and runnext
    /// empty. Then the put and findRunnable's take (`globrunqget`, with the same fairness
    /// `max`) share one hold of `lock`, where Go's goschedImpl and findRunnable take it
    /// twice. Returns nil, having only queued `g`, when anything else could come first.
    @inline(__always)
    func yieldSwap(_ g: Goroutine, _ m: Machine) -> GoroutineRef? {
        if deterministic {
            yieldPut(g, m)
            return nil
        }
        lock.lock()
        globrunqput(g.ref)
        var next: GoroutineRef? = nil
        if !gcwaiting.load(ordering: .acquiring) && !shuttingDown.load(ordering: .acquiring), let pU = m.pU {
            next = pU._withUnsafeGuaranteedRef { p in
                guard p.timers.earliest.load(ordering: .relaxed) == .max, p.runqEmpty else { return nil }
                return globrunqget(p, max: p.schedtick.load(ordering: .relaxed) % 61 == 0 ? 1 : 0)
            }
        }
        lock.unlock()
        return next
    }
}
