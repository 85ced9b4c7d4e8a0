// The scheduler, stepped by hand for teaching: Ms that are never started as threads, and
// goroutines that are never run, moved through the real run queues one scheduling event at
// a time, so a page can show every P's runnext and local queue, the global queue and every
// M after each event (`tricolor sched`, Fixtures/*.sched).
//
// What is real and what is restated. The queues are GMP's own: `runqput` (runnext, and the
// overflow of a full ring to the global queue, runqputslow), `runqget`, `runqsteal`,
// `globrunqget` (n = min(len, len/GOMAXPROCS + 1, 128: half the local ring)), the idle
// P list (`pidleget`/`pidleput`), `acquirep`/`releasep` on real `Machine` objects, and the
// `nmspinning`/`npidle` counters. The M-side decisions are restated here because the real
// ones start and park OS threads: `wakep` (start a spinning M only if a P is idle and no M
// spins), findRunnable's order and its spinning limit (an M may spin only while
// 2 x spinning < busy Ps), `handoffp`'s order, and exitsyscall's (old P, then an idle P,
// else the global queue and the M sleeps). Each restatement names the function it follows;
// the lab's tests (SchedulerLabTests) pin the outcomes Go's rules give. Stealing takes its
// victims in P order starting after the thief (the real one starts at a random P), so a
// run is the same every time.
//
// Not thread-safe: one thread steps a lab, and its scheduler never runs.

/// What an M is doing, as the teaching page names it.
public enum LabMState: String, Sendable {
    case running, spinning, idle, syscall
}

/// A hand-stepped scheduler (see the essay above).
public final class SchedulerLab {
    /// The scheduler whose queues the lab moves goroutines through; it is never `run`.
    public let scheduler: Scheduler
    private var ms: [Machine] = []
    /// Each M's goroutine (running, or in a syscall), by M id.
    private var curg: [Int: GoroutineRef] = [:]
    private var inSyscall: Set<Int> = []
    /// Ms parked without a P (Go's sched.midle), last parked first out.
    private var midle: [Machine] = []

    /// An error in a lab script: an M or P that does not exist or cannot do that now.
    public struct Misuse: Error, CustomStringConvertible {
        public var description: String
    }

    /// A lab with `procs` Ps, all idle, and no M.
    public init(procs: Int) {
        var c = SchedulerConfig()
        c.procs = procs
        c.deterministic = nil
        scheduler = Scheduler(c)
    }

    deinit {
        // The goroutines never ran: give their stacks back, as a scheduler's shutdown does.
        let s = scheduler
        s.allgLock.withLock {
            for g in s.allgs {
                if let st = g.stack { s.stacks.put(st) }
                g.stack = nil
                g.body = nil
            }
        }
    }

    // MARK: What the page shows

    /// The queues (from the scheduler) and each M's state, goroutine and P.
    public func snapshot() -> (queues: SchedulerSnapshot, machines: [(id: Int, state: LabMState, g: Int64?, p: Int?)]) {
        (scheduler.snapshot(), ms.map { m in (m.id, state(m), curg[m.id]?.withGoroutine { $0.id }, m.p?.id) })
    }

    private func state(_ m: Machine) -> LabMState {
        if inSyscall.contains(m.id) { return .syscall }
        if m.spinning { return .spinning }
        if m.p != nil { return .running }
        return .idle
    }

    // MARK: Events

    /// The program starts: M0 takes an idle P and runs the main goroutine.
    @discardableResult
    public func start() throws(Misuse) -> String {
        guard ms.isEmpty else { throw Misuse(description: "'start' twice") }
        let m = newM()
        guard let p = scheduler.pidleget() else { throw Misuse(description: "no P") }
        scheduler.acquirep(m, p)
        curg[m.id] = try newG()
        return "M0 takes P\(p.id) and runs the main goroutine G\(id(curg[m.id]!))"
    }

    /// M `m`'s goroutine executes `go`: the new goroutine goes to runnext of its P (the old
    /// runnext, if any, to the tail of the local queue; a full queue sends half of itself
    /// plus that goroutine to the global queue), then `wakep`.
    @discardableResult
    public func go(_ m: Int) throws(Misuse) -> String {
        let mm = try runningM(m, "go")
        let g = try newG()
        let p = mm.p!
        let before = scheduler.runqsize
        p.runqput(g, next: true)
        var s = "G\(id(curg[m]!)) on M\(m) creates G\(id(g)): runnext of P\(p.id)"
        if scheduler.runqsize > before {
            s += "; the local queue was full: \(scheduler.runqsize - before) goroutines (half of it and the kicked one) move to the global queue"
        }
        return s + "; " + wakep()
    }

    /// Go's wakep: start a spinning M on an idle P, but only if there is an idle P and no M
    /// is spinning already.
    private func wakep() -> String {
        if scheduler.npidle.load(ordering: .relaxed) == 0 { return "wakep: no idle P, nobody woken" }
        if scheduler.nmspinning.load(ordering: .relaxed) != 0 { return "wakep: an M is already spinning, nobody woken" }
        scheduler.nmspinning.add(1, ordering: .relaxed)
        return "wakep: " + startm(nil, spinning: true)
    }

    /// Go's startm: a parked M (or a new one) takes `p` (or an idle P).
    private func startm(_ p: Processor?, spinning: Bool) -> String {
        guard let pp = p ?? scheduler.pidleget() else {
            if spinning { scheduler.nmspinning.subtract(1, ordering: .relaxed) }
            return "no idle P"
        }
        let woken = midle.popLast()
        let m = woken ?? newM()
        scheduler.acquirep(m, pp)
        m.spinning = spinning
        return (woken != nil ? "wakes sleeping M\(m.id)" : "starts M\(m.id)") + " on P\(pp.id)" + (spinning ? ", spinning" : "")
    }

    /// M `m`'s goroutine exits; the M switches to g0 and schedules.
    @discardableResult
    public func exit(_ m: Int) throws(Misuse) -> String {
        let mm = try runningM(m, "exit")
        let g = curg.removeValue(forKey: m)!
        return "G\(id(g)) exits; M\(mm.id) switches to g0 and schedules: " + schedule(mm)
    }

    /// M `m`, holding a P and running nothing (just started, or spinning), looks for work.
    @discardableResult
    public func findWork(_ m: Int) throws(Misuse) -> String {
        guard m < ms.count, ms[m].p != nil, curg[m] == nil else {
            throw Misuse(description: "M\(m) must hold a P and run no goroutine to look for work")
        }
        return schedule(ms[m])
    }

    /// findRunnable's order (FindRunnable.swift): the local queue (runnext first), the
    /// global queue (a fair batch), stealing half of another P's queue if the spinning limit
    /// allows, else give up the P and sleep. A spinning M that finds work stops spinning and
    /// calls wakep (resetspinning).
    private func schedule(_ m: Machine) -> String {
        let p = m.p!
        var found: (GoroutineRef, String)?
        if let r = p.runqget() {
            found = (r.g, r.inheritTime ? "takes G\(id(r.g)) from runnext" : "takes G\(id(r.g)) from its local queue")
        } else if scheduler.runqsize != 0 {
            let n = scheduler.runqsize
            if let g = scheduler.lock.withLock({ scheduler.globrunqget(p, max: 0) }) {
                let took = n - scheduler.runqsize
                found = (g, "takes \(took) from the global queue (n = min(\(n), \(n)/\(scheduler.procs) + 1) = \(took)): "
                         + "runs G\(id(g)), queues the rest on P\(p.id)")
            }
        }
        if found == nil {
            let busy = scheduler.procs - scheduler.npidle.load(ordering: .relaxed)
            let spinners = scheduler.nmspinning.load(ordering: .relaxed)
            if m.spinning || 2 * spinners < busy {
                if !m.spinning {
                    m.spinning = true
                    scheduler.nmspinning.add(1, ordering: .relaxed)
                }
                outer: for round in 0..<4 {
                    for i in 1..<scheduler.procs {
                        let victim = scheduler.allp[(p.id + i) % scheduler.procs]
                        let had = victim.runqSize
                        if let g = p.runqsteal(from: victim, stealRunNext: round == 3) {
                            found = (g, had == 0 ? "steals P\(victim.id)'s runnext G\(id(g)) (only in the last of 4 rounds) and runs it"
                                     : "steals half of P\(victim.id)'s local queue (\(p.runqSize + 1) of \(had)): runs G\(id(g))"
                                        + (p.runqSize > 0 ? ", keeps the rest" : ""))
                            break outer
                        }
                    }
                }
            } else if !m.spinning {
                return idle(m, "no work, and \(spinners) spinning M(s) >= half of \(busy) busy P(s): may not spin; ")
            }
        }
        guard let (g, how) = found else { return idle(m, "finds nothing; ") }
        curg[m.id] = g
        var s = "M\(m.id) " + how
        if m.spinning {
            m.spinning = false
            scheduler.nmspinning.subtract(1, ordering: .relaxed)
            s += "; it stops spinning: " + wakep()
        }
        return s
    }

    /// The M gives its P back to the idle list and sleeps.
    private func idle(_ m: Machine, _ why: String) -> String {
        let p = scheduler.releasep(m)
        scheduler.lock.withLock { scheduler.pidleput(p) }
        if m.spinning {
            m.spinning = false
            scheduler.nmspinning.subtract(1, ordering: .relaxed)
        }
        midle.append(m)
        return why + "M\(m.id) puts P\(p.id) on the idle list and sleeps"
    }

    /// M `m`'s goroutine enters a blocking syscall (Go's entersyscallblock): the P is
    /// handed off at once.
    @discardableResult
    public func block(_ m: Int) throws(Misuse) -> String {
        let mm = try runningM(m, "block")
        inSyscall.insert(m)
        let p = scheduler.releasep(mm)
        return "G\(id(curg[m]!)) enters a blocking syscall; M\(m) hands off P\(p.id): " + handoffp(p)
    }

    /// M `m`'s goroutine enters a syscall that may return soon (Go's entersyscall): the P
    /// stays in `syscall` status, for the M to take back or sysmon to retake.
    @discardableResult
    public func syscall(_ m: Int) throws(Misuse) -> String {
        let mm = try runningM(m, "syscall")
        inSyscall.insert(m)
        let p = mm.p!
        p.m = nil
        mm.p = nil
        mm.oldp = p
        p.setStatus(.syscall)
        return "G\(id(curg[m]!)) enters a syscall; P\(p.id) stays in syscall status, M\(m) remembers it"
    }

    /// Sysmon retakes P `p` from a syscall and hands it off (Go's retake).
    @discardableResult
    public func retake(_ p: Int) throws(Misuse) -> String {
        guard p < scheduler.procs, scheduler.allp[p].casStatus(.syscall, .idle) else {
            throw Misuse(description: "P\(p) is not in a syscall")
        }
        return "sysmon retakes P\(p) from its syscall: " + handoffp(scheduler.allp[p])
    }

    /// Go's handoffp (Scheduler+Handoff.swift): an M for the P if there is local or global
    /// work; a spinning M if nobody spins and no P is idle; else the idle list.
    private func handoffp(_ p: Processor) -> String {
        if !p.runqEmpty || scheduler.runqsize != 0 { return "it has work: " + startm(p, spinning: false) }
        if scheduler.nmspinning.load(ordering: .relaxed) + scheduler.npidle.load(ordering: .relaxed) == 0 {
            scheduler.nmspinning.add(1, ordering: .relaxed)
            return "no work, but nobody spins and no P is idle: " + startm(p, spinning: true)
        }
        scheduler.lock.withLock { scheduler.pidleput(p) }
        return "no work: P\(p.id) goes to the idle list"
    }

    /// M `m`'s syscall returns (Go's exitsyscall): its old P if still in syscall status,
    /// else an idle P, else its goroutine goes to the global queue and the M sleeps.
    @discardableResult
    public func sysret(_ m: Int) throws(Misuse) -> String {
        guard m < ms.count, inSyscall.contains(m) else { throw Misuse(description: "M\(m) is not in a syscall") }
        let mm = ms[m]
        inSyscall.remove(m)
        let g = curg[m]!
        if let old = mm.oldp {
            mm.oldp = nil
            if old.casStatus(.syscall, .idle) {
                scheduler.acquirep(mm, old)
                return "G\(id(g))'s syscall returns; M\(m) takes its old P\(old.id) back"
            }
        }
        if let pp = scheduler.lock.withLock({ scheduler.pidleget() }) {
            scheduler.acquirep(mm, pp)
            return "G\(id(g))'s syscall returns; its old P is gone, M\(m) takes idle P\(pp.id)"
        }
        curg[m] = nil
        scheduler.lock.withLock { scheduler.globrunqput(g) }
        midle.append(mm)
        return "G\(id(g))'s syscall returns; no P free: G\(id(g)) goes to the global queue and M\(m) sleeps"
    }

    // MARK: Helpers

    private func runningM(_ m: Int, _ what: String) throws(Misuse) -> Machine {
        guard m < ms.count, ms[m].p != nil, curg[m] != nil, !inSyscall.contains(m) else {
            throw Misuse(description: "'\(what) M\(m)': M\(m) is not running a goroutine")
        }
        return ms[m]
    }

    private func newM() -> Machine {
        let m = Machine(id: ms.count, sched: scheduler)
        ms.append(m)
        return m
    }

    private func newG() throws(Misuse) -> GoroutineRef {
        do { return try scheduler.newGoroutine({}, parent: nil) } catch {
            throw Misuse(description: "cannot create a goroutine: \(error)")
        }
    }

    private func id(_ g: GoroutineRef) -> Int64 { g.withGoroutine { $0.id } }
}
