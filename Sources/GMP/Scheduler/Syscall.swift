import CContext
import Synchronization

// System calls and other blocking calls (Go's entersyscall / exitsyscall, proc.go).
//
// A goroutine about to block its thread in the kernel leaves its P in `.syscall`, still
// attached in spirit (m.oldp) but free for sysmon to retake: if the call returns quickly
// the goroutine takes its P straight back with one CAS and nobody noticed; if it blocks,
// sysmon retakes the P after at least one tick (~20 us) when other work waits, and hands
// it to another M (handoffp). `blockingCall` is Go's entersyscallblock: the caller knows
// the call will block, so the P is handed off at once.
//
// On return, exitsyscall tries (1) the old P, (2) any idle P, else (3) switches to g0,
// which queues the goroutine globally and parks the M.
//
// Do not touch the managed heap or goroutine primitives inside the call: the goroutine has
// no P while it runs. Its root slots are frozen (`RootStorage.isFrozen`) for the call's
// length: a stop-the-world or a concurrent stack scan counts a goroutine in a syscall as
// suspended and reads its slots from another thread, so a write there would race with the
// scan. Go has the same rule: code in a syscall or cgo call does not run Go code.

extension Scheduler {
    /// Runs `body`, which may block the thread for a while (a read, a lock, a C call), while
    /// letting other goroutines use this P if it takes long. Outside a goroutine (or in
    /// deterministic mode) it simply runs `body`.
    public static func syscall<T>(_ body: () throws -> T) rethrows -> T {
        guard let g = Goroutine.current, g.sched.det == nil else { return try body() }
        g.rootsStorage.pointee.isFrozen = true
        g.sched.entersyscall(g, block: false)
        defer {
            g.sched.exitsyscall(g)
            g.rootsStorage.pointee.isFrozen = false
        }
        return try body()
    }

    /// Runs `body`, known to block, after handing the P to another M at once.
    public static func blockingCall<T>(_ body: () throws -> T) rethrows -> T {
        guard let g = Goroutine.current, g.sched.det == nil else { return try body() }
        g.rootsStorage.pointee.isFrozen = true
        g.sched.entersyscall(g, block: true)
        defer {
            g.sched.exitsyscall(g)
            g.rootsStorage.pointee.isFrozen = false
        }
        return try body()
    }

    func entersyscall(_ g: Goroutine, block: Bool) {
        let m = g.m!
        let p = m.p!
        p.syscalltick.add(1, ordering: .relaxed)
        p.curg.store(nil, ordering: .relaxed)
        g.leaveRunning(to: .syscall)
        p.m = nil
        m.p = nil
        if block {
            p.setStatus(.idle)
            handoffp(p)
            return
        }
        m.oldp = p
        p.setStatus(.syscall)
        if gcwaiting.load(ordering: .acquiring) {
            // The world is stopping: give this P to the stopper now (Go's entersyscall_gcwait).
            lock.lock()
            if p.casStatus(.syscall, .gcstop) {
                m.oldp = nil
                stopwait -= 1
                if stopwait == 0 { stopNote.wakeup() }
            }
            lock.unlock()
        }
    }

    func exitsyscall(_ g: Goroutine) {
        if exitsyscallFast(g, g.m!) { return }
        g.mcall(.exitSyscall)
        if shuttingDown.load(ordering: .acquiring) { g.abandon() }
    }

    /// The goroutine side of exitsyscall (Go's exitsyscallfast): the old P if it is still
    /// in syscall status, else an idle P (not while the world is stopping). True if `m`
    /// holds a P again and `g` runs on; false: `g` must switch to g0 (`exitsyscall0`).
    func exitsyscallFast(_ g: Goroutine, _ m: Machine) -> Bool {
        if let oldp = m.oldp {
            m.oldp = nil
            if oldp.casStatus(.syscall, .running) {
                m.p = oldp
                oldp.m = m
                oldp.syscalltick.add(1, ordering: .relaxed)
                oldp.curg.store(g.ref, ordering: .relaxed)
                g.casStatus(from: .syscall, to: .running)
                return true
            }
        }
        if !gcwaiting.load(ordering: .acquiring) {
            if let pp = lock.withLock({ pidleget() }) {
                acquirep(m, pp)
                pp.curg.store(g.ref, ordering: .relaxed)
                g.casStatus(from: .syscall, to: .running)
                return true
            }
        }
        return false
    }

    /// g0 side of the slow exitsyscall path (Go's exitsyscall0). `m` has no P.
    func exitsyscall0(_ g: Goroutine, _ m: Machine) {
        g.casStatus(from: .syscall, to: .runnable)
        lock.lock()
        let pp = gcwaiting.load(ordering: .acquiring) ? nil : pidleget()
        if pp == nil { globrunqput(g.ref) }
        lock.unlock()
        if let pp {
            acquirep(m, pp)
            pp.runqput(g.ref, next: true)
        }
        // With no P, the schedule loop parks this M (stopm).
    }
}
