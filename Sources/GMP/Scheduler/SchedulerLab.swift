// The scheduler, stepped by hand for teaching: one thread drives several Ms through the
// real scheduler code one scheduling event at a time, so a page can show every P's runnext
// and local queue, the global queue and every M after each event (`tricolor sched`,
// Fixtures/*.sched).
//
// One copy of the rules. A lab's scheduler is a real `Scheduler` built with a `LabRecord`
// (Scheduler.lab), which changes exactly two things, both at the thread boundary: `startm`
// creates an M (on `allm`, handed its P through `nextp`, counted in `mcount`) without
// starting a thread, and `stopm` puts the M on `midle` and returns to the lab instead of
// parking a thread. Everything that decides is the scheduler's own, called as its threads
// call it:
//   * `go M`: `Scheduler.spawn` (newproc: runnext, the overflow of a full ring to the global
//     queue, then `wakep`);
//   * an M looking for work: `Machine.schedule` (stopm, findRunnable in its order: the
//     fairness look at the global queue every 61st tick, the local queue, the global batch,
//     then stealing if `maySpin` allows, the last look after spinning; then resetspinning
//     and its wakep), then `Machine.beginRun` (execute's bookkeeping: the tick, curg);
//   * `exit M`: `goexit0`, then `schedule`;
//   * `block M` / `syscall M`: `entersyscall` (handoffp for a blocking call);
//   * `retake P`: `retakeSyscall`, sysmon's syscall half of retake (handoffp);
//   * `return M`: `exitsyscallFast` (old P, then an idle P), else g0's `exitsyscall0`
//     (global queue) and `schedule` (stopm).
// After each event the lab resumes every M that `startm` handed a P (`acquireNextp`, what
// the M's new thread or its woken park would do). What the lab itself does is bookkeeping a
// goroutine's switch to g0 does (clear its M and the P's curg) and narration: the words
// for each step are read off the state before and after and off the `LabRecord`, in which
// findRunnable notes its spinning decisions and stealWork its steals.
//
// Determinism: an M's steal order comes from its own random generator, seeded from its id,
// so a script gives the same run every time. Goroutine ids are GMP's: G1 the main
// goroutine, then batches of 16 per P (Go's goidcache), which is creation order while one
// M creates them.
//
// What the lab cannot show: in a real run several Ms search for work at once, each for a
// while; here one M's search is one step, so between steps at most one M is spinning (one
// that `wakep` or `handoffp` started, which they do only while none spins). A refusal under
// the spinning limit therefore shows an M that sleeps at once instead of making a second
// futile search. No timers, network or collector hooks run in a lab.
//
// Not thread-safe: one thread steps a lab, and its scheduler never `run`s.

/// What an M is doing, as the teaching page names it.
public enum LabMState: String, Sendable {
    case running, spinning, idle, syscall
}

/// The decisions a lab's scheduler reports while the lab steps it (Scheduler.lab). Written
/// and read only by the lab's one thread.
final class LabRecord {
    enum Event: Equatable {
        /// findRunnable's spinning limit for M `m`: `allowed`, with `spinning` Ms spinning
        /// and `busy` Ps not idle.
        case spin(m: Int, allowed: Bool, spinning: Int, busy: Int)
        /// stealWork: M `m` took `count` goroutines from P `victim`.
        case stole(m: Int, victim: Int, count: Int)
        /// stopm: M `m` parked on midle.
        case parked(m: Int)
    }
    var events: [Event] = []

    func spinDecision(m: Int, allowed: Bool, spinning: Int, busy: Int) {
        events.append(.spin(m: m, allowed: allowed, spinning: spinning, busy: busy))
    }
    func stole(m: Int, victim: Int, count: Int) { events.append(.stole(m: m, victim: victim, count: count)) }
    func parked(_ m: Int) { events.append(.parked(m: m)) }
}

/// A hand-stepped scheduler (see the essay above).
public final class SchedulerLab {
    /// The scheduler the lab steps; it is never `run`.
    public let scheduler: Scheduler
    private let record: LabRecord
    /// Each M's goroutine (running, or in a syscall), by M id: what the M's thread would be
    /// running.
    private var curg: [Int: Goroutine] = [:]

    /// An error in a lab script: an M or P that does not exist or cannot do that now.
    public struct Misuse: Error, CustomStringConvertible {
        public var description: String
    }

    /// A lab with `procs` Ps, all idle, and no M.
    public init(procs: Int) {
        var c = SchedulerConfig()
        c.procs = procs
        c.deterministic = nil
        let r = LabRecord()
        record = r
        scheduler = Scheduler(c, lab: r)
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
        (scheduler.snapshot(), scheduler.allm.map { m in (m.id, state(m), curg[m.id]?.id, m.p?.id) })
    }

    /// findRunnable's spinning decisions in the last event, in order: which M, and whether
    /// it was allowed to spin.
    public var spinDecisions: [(m: Int, allowed: Bool)] {
        record.events.compactMap { if case .spin(let m, let a, _, _) = $0 { (m, a) } else { nil } }
    }

    private func state(_ m: Machine) -> LabMState {
        if let g = curg[m.id], g.currentStatus == .syscall { return .syscall }
        if m.spinning { return .spinning }
        if m.p != nil { return .running }
        return .idle
    }

    // MARK: Events

    /// The program starts, as `Scheduler.run` starts it: the main goroutine G1 on the global
    /// queue, `startm` for M0, which takes a P and finds G1.
    @discardableResult
    public func start() throws(Misuse) -> String {
        guard scheduler.allm.isEmpty else { throw Misuse(description: "'start' twice") }
        let g = try newG()
        scheduler.publish(g, parent: nil)
        scheduler.lock.withLock { scheduler.globrunqput(g) }
        return event {
            scheduler.startm(nil, spinning: false)
            let m0 = scheduler.allm[0]
            let s = "G1 goes to the global queue; startm starts M0" + handed(m0) + "; "
            resume()
            return s + schedule(m0)
        }
    }

    /// M `m`'s goroutine executes `go` (Scheduler.spawn).
    @discardableResult
    public func go(_ m: Int) throws(Misuse) -> String {
        let (mm, g) = try running(m, "go")
        return event {
            let p = mm.p!
            let before = scheduler.runqsize, ms = scheduler.allm.count, idle = idleMs()
            let why = wakeFacts()
            scheduler.spawn({}, parent: g)
            let ng = p.runnext.load(ordering: .relaxed)!.withGoroutine { $0.id }
            var s = "G\(g.id) on M\(m) creates G\(ng): runnext of P\(p.id)"
            if scheduler.runqsize > before {
                s += "; the old runnext does not fit in the full local queue: \(scheduler.runqsize - before) goroutines "
                    + "(half of it and the old runnext) move to the global queue"
            }
            return s + "; wakep: " + woken(since: ms, idle, otherwise: "nobody woken (\(why))")
        }
    }

    /// M `m`'s goroutine exits; the M switches to g0 (goexit0) and schedules.
    @discardableResult
    public func exit(_ m: Int) throws(Misuse) -> String {
        let (mm, g) = try running(m, "exit")
        return event {
            switchToG0(g, mm)
            scheduler.goexit0(g, mm)
            return "G\(g.id) exits; M\(m) switches to g0 and schedules: " + schedule(mm)
        }
    }

    /// M `m`, holding a P and running nothing (just started or woken), looks for work.
    @discardableResult
    public func findWork(_ m: Int) throws(Misuse) -> String {
        let mm = try machine(m)
        guard mm.p != nil, curg[m] == nil else {
            throw Misuse(description: "'schedule M\(m)': M\(m) must hold a P and run no goroutine to look for work")
        }
        return event { schedule(mm) }
    }

    /// M `m`'s goroutine enters a blocking syscall (entersyscallblock): the P is handed off
    /// at once.
    @discardableResult
    public func block(_ m: Int) throws(Misuse) -> String {
        let (mm, g) = try running(m, "block")
        return event {
            let p = mm.p!
            let facts = handoffFacts(p)
            scheduler.entersyscall(g, block: true)
            return "G\(g.id) enters a blocking syscall; M\(m) hands off P\(p.id): " + handedOff(p, facts)
        }
    }

    /// M `m`'s goroutine enters a syscall that may return soon (entersyscall): the P stays
    /// in syscall status, for the M to take back or sysmon to retake.
    @discardableResult
    public func syscall(_ m: Int) throws(Misuse) -> String {
        let (mm, g) = try running(m, "syscall")
        return event {
            let p = mm.p!
            scheduler.entersyscall(g, block: false)
            return "G\(g.id) enters a syscall; P\(p.id) stays in syscall status, M\(m) remembers it"
        }
    }

    /// Sysmon, a tick after P `p` entered a syscall, may retake it (retakeSyscall).
    @discardableResult
    public func retake(_ p: Int) throws(Misuse) -> String {
        guard p < scheduler.procs, scheduler.allp[p].currentStatus == .syscall else {
            throw Misuse(description: "'retake P\(p)': P\(p) is not in a syscall")
        }
        let pp = scheduler.allp[p]
        return event {
            let facts = handoffFacts(pp)
            if !scheduler.retakeSyscall(pp, long: false) {
                return "sysmon leaves P\(p) in its syscall: no work waits for it, and an M spins or a P is idle to take new work"
            }
            return "sysmon retakes P\(p) from its syscall and hands it off: " + handedOff(pp, facts)
        }
    }

    /// M `m`'s syscall returns (exitsyscall).
    @discardableResult
    public func sysret(_ m: Int) throws(Misuse) -> String {
        let mm = try machine(m)
        guard let g = curg[m], g.currentStatus == .syscall else {
            throw Misuse(description: "'return M\(m)': M\(m) is not in a syscall")
        }
        return event {
            let old = mm.oldp
            if scheduler.exitsyscallFast(g, mm) {
                let p = mm.p!
                return "G\(g.id)'s syscall returns; " + (p === old ? "M\(m) takes its old P\(p.id) back"
                    : (old == nil ? "its P was handed off" : "its old P\(old!.id) is taken") + ": M\(m) takes idle P\(p.id)")
            }
            switchToG0(g, mm)
            scheduler.exitsyscall0(g, mm)
            curg[m] = nil
            let queued = scheduler.snapshot().global.contains(g.id)
            return "G\(g.id)'s syscall returns; no P free for M\(m): on g0, "
                + (queued ? "G\(g.id) goes to the global queue; " : "") + schedule(mm)
        }
    }

    // MARK: Stepping

    /// Runs one event: clears the record, runs `body`, then resumes every M handed a P (the
    /// words for that are already in what `body` said startm did).
    private func event(_ body: () -> String) -> String {
        record.events.removeAll()
        let s = body()
        resume()
        return s
    }

    /// Ms that `startm` handed a P take it, as their new thread or woken park would.
    private func resume() {
        for m in scheduler.allm where m.p == nil && m.nextp != nil {
            m.park.clear()
            _ = scheduler.acquireNextp(m)
        }
    }

    /// M `m` schedules (Machine.schedule) and, if it finds a goroutine, runs it
    /// (Machine.beginRun); the words say what findRunnable did.
    private func schedule(_ m: Machine) -> String {
        let before = scheduler.snapshot()
        let heldP = m.p, wasSpinning = m.spinning, tick = m.p?.schedtick.load(ordering: .relaxed)
        let ms = scheduler.allm.count, idle = idleMs()
        let from = record.events.count
        let r = m.schedule()
        let events = record.events[from...]
        var s = ""
        for e in events {
            if case .spin(m.id, let allowed, let n, let busy) = e, !wasSpinning {
                s += allowed ? "nothing local or global; it may spin (2 x \(n) spinning < \(busy) busy Ps): "
                    : "nothing local or global; it may not spin (2 x \(n) spinning >= \(busy) busy Ps), so it does not steal: "
            }
        }
        // A lab never shuts down, so no goroutine means the M parked (stopm).
        guard let (gr, inherit) = r else {
            return s + (heldP.map { "M\(m.id) finds nothing: puts P\($0.id) on the idle list and sleeps" } ?? "M\(m.id) has no P: it sleeps")
        }
        let g = gr.goroutine
        m.beginRun(g, inheritTime: inherit)
        curg[m.id] = g
        let p = m.p!
        if let e = events.first(where: { if case .stole = $0 { true } else { false } }), case .stole(_, let v, let n) = e {
            let victim = before.procs[v]
            s += victim.local.isEmpty && victim.runnext != nil
                ? "M\(m.id) steals P\(v)'s runnext G\(g.id) (only in the last of 4 rounds) and runs it"
                : "M\(m.id) steals \(n) of P\(v)'s \(victim.local.count) (half): runs G\(g.id)" + (n > 1 ? ", keeps the rest" : "")
        } else if before.procs[p.id].runnext == g.id {
            s += "M\(m.id) takes G\(g.id) from runnext (it inherits the time slice)"
        } else if before.procs[p.id].local.first == g.id {
            s += "M\(m.id) takes G\(g.id) from its local queue"
        } else if before.global.first == g.id {
            let len = before.global.count
            let took = len - scheduler.runqsize
            if took == 1, let tick, tick % 61 == 0 {
                s += "P\(p.id)'s schedtick is \(tick), a multiple of 61: for fairness M\(m.id) first takes one goroutine from the global queue, G\(g.id)"
            } else {
                s += "M\(m.id) takes \(took) from the global queue (n = min(\(len), \(len)/\(scheduler.procs) + 1, 128) = \(took)): runs G\(g.id)"
                    + (took > 1 ? ", queues the rest on P\(p.id)" : "")
            }
        } else {
            s += "M\(m.id) runs G\(g.id)"
        }
        if wasSpinning || events.contains(where: { if case .spin(m.id, true, _, _) = $0 { true } else { false } }) {
            s += "; it stops spinning: wakep: " + woken(since: ms, idle, otherwise: "nobody woken (\(wakeFacts()))")
        }
        return s
    }

    // MARK: Narration

    private func idleMs() -> [Int] { scheduler.midle.map(\.id) }

    /// The counters wakep reads, in words.
    private func wakeFacts() -> String {
        let idle = scheduler.npidle.load(ordering: .relaxed), spinning = scheduler.nmspinning.load(ordering: .relaxed)
        return idle == 0 ? "no idle P" : "\(spinning) M spinning already"
    }

    /// Which M startm started or woke since the state (`count` Ms, `idle` parked) was read.
    private func woken(since count: Int, _ idle: [Int], otherwise: String) -> String {
        if scheduler.allm.count > count { return "starts M\(scheduler.allm[count].id)" + handed(scheduler.allm[count]) }
        if let m = idle.first(where: { i in !scheduler.midle.contains { $0.id == i } }) {
            return "wakes sleeping M\(m) (no new thread)" + handed(scheduler.allm[m])
        }
        return otherwise
    }

    private func handed(_ m: Machine) -> String {
        guard let p = m.nextp ?? m.p else { return "" }
        return " on P\(p.id)" + (m.spinning ? ", spinning" : "")
    }

    private func handoffFacts(_ p: Processor) -> (work: Bool, ms: Int, idle: [Int]) {
        (!p.runqEmpty || scheduler.runqsize != 0, scheduler.allm.count, idleMs())
    }

    /// Where handoffp put `p`, and why (the case of handoffp it took).
    private func handedOff(_ p: Processor, _ f: (work: Bool, ms: Int, idle: [Int])) -> String {
        let to = woken(since: f.ms, f.idle, otherwise: "")
        if to.isEmpty { return "no work waits and an M spins or a P is idle: P\(p.id) goes to the idle list" }
        let m = scheduler.allm.first { $0.nextp === p || $0.p === p }
        if m?.spinning == true { return "no work, but nobody spins and no P is idle: " + to }
        return (f.work ? "work waits: " : "") + to
    }

    // MARK: Helpers

    /// A goroutine switching to g0 leaves its M, and its M's P no longer runs it (what
    /// Machine.finishSwitch does before the pending action).
    private func switchToG0(_ g: Goroutine, _ m: Machine) {
        g.mU = nil
        m.p?.curg.store(nil, ordering: .relaxed)
        curg[m.id] = nil
    }

    private func machine(_ m: Int) throws(Misuse) -> Machine {
        guard m < scheduler.allm.count else { throw Misuse(description: "no M\(m) yet") }
        return scheduler.allm[m]
    }

    private func running(_ m: Int, _ what: String) throws(Misuse) -> (Machine, Goroutine) {
        guard m < scheduler.allm.count, let g = curg[m], g.currentStatus == .running, scheduler.allm[m].p != nil else {
            throw Misuse(description: "'\(what) M\(m)': M\(m) is not running a goroutine")
        }
        return (scheduler.allm[m], g)
    }

    private func newG() throws(Misuse) -> GoroutineRef {
        do { return try scheduler.newGoroutine({}, parent: nil) } catch {
            throw Misuse(description: "cannot create a goroutine: \(error)")
        }
    }
}
