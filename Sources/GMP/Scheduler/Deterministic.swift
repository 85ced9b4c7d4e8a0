import Foundation

// Deterministic mode: one M, one P, and a strategy that picks the next goroutine at every
// scheduling decision.
//
// A decision happens (1) at every safe point of the running goroutine (candidates: the
// running goroutine first, then the runnable set in the order goroutines became runnable),
// (2) at a yield (candidates: the runnable set), and (3) when the running goroutine blocks
// or exits (candidates: the runnable set). Every decision is a step: it advances `steps`
// and the strategy sees it. A decision with a single candidate is forced: the strategy is
// told (`ScheduleStrategy.forced`, so PCT counts it and applies a change point that falls
// on it) but nothing is recorded in the replay string. A yield with nobody else runnable
// is no decision at all. Time is virtual: every decision advances the clock by 1 us and timers fire
// against that clock, so sleeps are deterministic too. With everything on one thread, the
// same strategy choices produce the same run on any machine; the recorded choices form the
// replay string, and `ScheduleStrategyKind.replay` feeds them back. The one M runs on the
// thread that calls `Scheduler.run` when that thread is no M and has at least 1 MiB of stack
// (a property-test campaign runs thousands of schedulers one after another, and a thread
// start plus two hand-offs per run cost a third of a core); otherwise on a thread of its own.
// Which thread it is changes no decision. The caller's thread keeps nothing of the run: its M
// and goroutine thread-locals are cleared as the M leaves, and goroutines abandoned at the
// end took their exclusivity records with them when they switched out (tc_switch).
//
// This file holds the mode's state and the scheduler's side of it; the strategies and the
// replay string format are in ScheduleStrategy.swift.

/// Deterministic-mode state. No locks: touched only by the single M (and the goroutines it
/// runs), by `run` before that M starts, and by readers after `run` returns; so no two
/// accesses ever overlap, and the fields a decision touches skip the dynamic exclusivity
/// checks (`@exclusivity(unchecked)`; the checks were a fifth of `choose`'s profile).
final class DeterministicState: @unchecked Sendable {
    @exclusivity(unchecked) var runnable: [Goroutine] = []
    /// Chosen at a safe point; runs next without a new decision.
    @exclusivity(unchecked) unowned(unsafe) var forced: Goroutine?
    let strategy: ScheduleStrategy
    @exclusivity(unchecked) var choices: [Int] = []
    /// Scratch buffer for the candidates' ids (reused by every decision).
    @exclusivity(unchecked) var ids: [Int64] = []
    @exclusivity(unchecked) var steps = 0
    let maxSteps: Int
    @exclusivity(unchecked) var virtualNow: Int64 = 0
    /// The id of the goroutine chosen at each recorded or forced-at-safe-point decision
    /// (`Scheduler.scheduleTrace`), for diagnostics and tests.
    @exclusivity(unchecked) var trace: [Int64] = []
    /// Why the replay string could not be decoded; the first `detFindRunnable` fails the
    /// run with it.
    var initError: SchedulerError?
    /// The ids of goroutines made runnable by a timer or by their own yield, in order
    /// (`Scheduler.deterministicSpontaneousWakeups`).
    var spontaneousWakeups: [Int64] = []

    init(_ config: DeterministicConfig) {
        maxSteps = config.maxSteps
        switch config.strategy {
        case .random(let seed): strategy = RandomStrategy(seed: seed)
        case .pct(let seed, let depth, let steps): strategy = PCTStrategy(seed: seed, depth: depth, expectedSteps: steps)
        case .custom(let make): strategy = make()
        case .replay(let s):
            do { strategy = try ReplayStrategy(s) } catch {
                strategy = RandomStrategy(seed: 0)
                initError = error
            }
        }
    }

    func makeRunnable(_ g: Goroutine) { runnable.append(g) }

    /// One decision among `running` (the running goroutine at a safe point, if any)
    /// followed by the runnable set; builds only the id list the strategy needs (no array
    /// of goroutines). Returns the chosen index in that order.
    func choose(running: Goroutine?) -> Int {
        steps += 1
        virtualNow += 1_000
        let runningID = running?.id
        let n = runnable.count + (runningID == nil ? 0 : 1)
        if n == 1 {
            // Forced: nothing to record, but the strategy still sees the step (PCT's
            // change points are counted over every step, forced ones included).
            strategy.forced(runningID ?? runnable[0].id, step: steps)
            return 0
        }
        ids.removeAll(keepingCapacity: true)
        if let runningID { ids.append(runningID) }
        for i in runnable.indices { ids.append(runnable[i].id) }
        let c = strategy.pick(ids, running: runningID, step: steps)
        choices.append(c)
        return c
    }

    /// A safe point (`forceSwitch` false) or a yield (true) of the running goroutine `g`.
    func step(_ g: Goroutine, forceSwitch: Bool) {
        let sched = g.sched
        sched.releaseExpiredTimersDet()
        if forceSwitch {
            if runnable.isEmpty { return }
            let k = choose(running: nil)
            forced = runnable.remove(at: k)
            trace.append(forced!.id)
            g.mcall(.yield)
            return
        }
        if runnable.isEmpty {
            _ = choose(running: g)   // forced: g runs on
            return
        }
        let k = choose(running: g)
        if k == 0 {
            trace.append(g.id)
            return
        }
        forced = runnable.remove(at: k - 1)
        trace.append(forced!.id)
        g.mcall(.yield)
    }
}

extension Scheduler {
    /// findRunnable in deterministic mode: the forced goroutine, else the strategy's choice
    /// among the runnable set, advancing virtual time to the next timer when it is empty.
    func detFindRunnable(_ m: Machine) -> (g: GoroutineRef, inheritTime: Bool)? {
        let det = self.det!
        if let e = det.initError {
            det.initError = nil
            fail(e)
        }
        while true {
            if shuttingDown.load(ordering: .acquiring) { return nil }
            if let r = det.strategy as? ReplayStrategy, let msg = r.mismatch {
                fail(.replay(msg))
                return nil
            }
            if det.steps > det.maxSteps {
                fail(.replay("deterministic run exceeded \(det.maxSteps) decisions (DeterministicConfig.maxSteps)"))
                return nil
            }
            if let f = det.forced {
                det.forced = nil
                return (f.ref, true)
            }
            releaseExpiredTimersDet()
            if det.runnable.isEmpty {
                if let due = nextTimerDeadline() {
                    det.virtualNow = max(det.virtualNow, due)
                    continue
                }
                fail(.deadlock(goroutineReport()))
                return nil
            }
            let k = det.choose(running: nil)
            let g = det.runnable.remove(at: k)
            det.trace.append(g.id)
            return (g.ref, false)
        }
    }

    /// Decisions (steps) made so far in deterministic mode, forced ones included: the
    /// unit PCT's change points are drawn in (0 otherwise).
    public var deterministicSteps: Int { det?.steps ?? 0 }

    /// How many choices deterministic mode has recorded so far (0 otherwise): the index in
    /// the replay string of the next one. A caller that notes it around a piece of its own
    /// work learns which choices that work made (the shrinker drops them with the work).
    public var recordedChoices: Int { det?.choices.count ?? 0 }

    /// The choices made so far in deterministic mode, as a replay string (nil otherwise).
    public var replayString: String? {
        det.map { ReplayString.encode($0.choices) }
    }

    /// The sequence of goroutine ids chosen at each recorded or forced-at-safe-point
    /// decision, in deterministic mode (empty otherwise). Two runs with the same seed
    /// produce the same trace.
    public var scheduleTrace: [Int64] { det?.trace ?? [] }
}
