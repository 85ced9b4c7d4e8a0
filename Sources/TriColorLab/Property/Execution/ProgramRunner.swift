// Running one mutator program under one schedule, with every oracle on.
//
// A run builds a fresh TriColorRuntime (small arena, the program's collector, check level
// full, pacer off so cycles start exactly where the program says) in deterministic mode,
// and runs on its single M:
//
//   main:  allocate the initial objects into its own slots, link them, set the globals,
//          start every top-level goroutine carrying its initial slots, pop its slots (from
//          now on only the goroutines, the globals and the heap hold the objects),
//          optionally start a background cycle, wait until every goroutine has done its
//          operations, run one last full cycle (which also waits for a cycle in flight),
//          sweep everything, release the goroutines, and walk the heap from the globals.
//   g_k:   for each operation: check its roots, do the operation, `Goroutine.safePoint()`;
//          then hold its slots until main releases it (a goroutine that ended early would
//          drop the very roots a lost object hides in), and check them once more.
//
// Every operation boundary is therefore a scheduling decision, as are the collector's own
// safe points (between stack scans, drain rounds, stop-the-world handshakes) and every
// allocation and channel operation inside an operation. The strategy (uniform random, PCT,
// a replay string, or a caller's strategy such as the exhaustive explorer's) picks who runs
// at each one; the recorded choices are the run's replay string.
//
// Oracles, in the order they fire:
//   - check level full: the strong (insertion) or weak (deletion, hybrid) tri-colour
//     invariant after every write barrier and every scan step (Collectors/Invariants.swift);
//   - checkmark at every mark termination: a reachable object the mark left white is one
//     the sweep would free;
//   - no reachable object freed: before each operation the goroutine's slots and the
//     globals must validate as live objects, and at the end everything reachable from the
//     globals must (Heap.validate, checked mode keeps freed headers). Checking *before* the
//     operation stops the run before the mutator could touch a freed object (which checked
//     mode would turn into a fatal error).
// All three stop the run with `SchedulerError.panic` whose message starts "GC: ", which the
// runner reports as `.gcFailure`; any other error (deadlock, replay mismatch) is `.error`.
//
// With `traceOperations` the run also records one line per operation: the goroutine, the
// operation, the mark phase and cycle, and the names and colours of the objects the
// goroutine holds (initial objects o0, o1, ...; objects allocated by the program n0, n1, ...).

import TriColor
import GMP

/// How the deterministic scheduler picks at each decision.
public enum ScheduleChoice: Sendable {
    /// Uniform random choice (GMP's RandomStrategy).
    case random(seed: UInt64)
    /// PCT with `depth` (priority-change points + 1); expected steps from the program size.
    case pct(seed: UInt64, depth: Int)
    /// The choices of a replay string (`RunOutcome.replay`).
    case replay(String)
    /// A caller-made strategy (made once for the run).
    case custom(@Sendable () -> any ScheduleStrategy)
}

/// The result of one run.
public struct RunOutcome: Sendable {
    public enum Verdict: Equatable, Sendable {
        case pass
        /// An oracle fired; the message starts "GC: ".
        case gcFailure(String)
        /// The run failed some other way (deadlock, replay mismatch, runaway).
        case error(String)
    }
    public var verdict: Verdict
    /// The schedule's choices (reproduces the run with `.replay`).
    public var replay: String
    /// Recorded scheduling decisions (choices with more than one candidate).
    public var decisions: Int
    /// GC cycles that began.
    public var cycles: Int
    /// One line per operation, when traced.
    public var trace: [String]
    /// Every scheduling decision, forced ones included (the steps PCT counts).
    public var steps = 0
    /// `safePointChoices[k][j]`: the index in `replay` of the choice made at the safe point
    /// after goroutine k's operation j (nil if that decision was forced), for the
    /// operations that ran.
    public var safePointChoices: [[Int?]] = []
    /// One picture per operation (and one for the verdict), when traced: the teaching
    /// page of a replay (TeachingDocument+Counterexample.swift).
    public var frames: [ScenarioFrame] = []

    public var failed: Bool { verdict != .pass }
    public var isGCFailure: Bool { if case .gcFailure = verdict { true } else { false } }

    /// The failure message, or "pass".
    public var message: String {
        switch verdict {
        case .pass: "pass"
        case .gcFailure(let m), .error(let m): m
        }
    }
}

/// Runs mutator programs (see the essay above). A value: configure, then call `run`.
public struct ProgramRunner: Sendable {
    public var collector: CollectorKind
    public var checkLevel: CheckLevel = .full
    /// Record the per-operation trace with colours (slower; for reports and replays).
    public var traceOperations = false
    /// Virtual bytes reserved per run's arena. Small: reserving is part of the per-run cost.
    public var arenaBytes = 4 << 20
    /// Runaway guard: a run with more decisions fails with `.error`.
    public var maxDecisions = 200_000
    /// Run on real threads with this many Ps instead of deterministic mode (soak tests):
    /// the schedule argument is ignored and no replay string is recorded.
    public var realThreads: Int? = nil

    public init(collector: CollectorKind, checkLevel: CheckLevel = .full, traceOperations: Bool = false) {
        self.collector = collector
        self.checkLevel = checkLevel
        self.traceOperations = traceOperations
    }

    /// The PCT horizon k for `program`: an upper bound on the steps (decisions, forced ones
    /// included: `RunOutcome.steps`) a run of it takes, as PCT's guarantee needs. Measured
    /// over 540 runs of three shapes and three collectors: steps are at most 0.88 of it.
    public static func expectedSteps(_ program: MutatorProgram) -> Int {
        program.operationCount * 3 + 60
    }

    /// Runs `program` once under `schedule`. A malformed program (`validationError()` not
    /// nil) is not run: the outcome is `.error("malformed program: ...")`.
    public func run(_ program: MutatorProgram, schedule: ScheduleChoice) -> RunOutcome {
        run(program, schedule: schedule, footprints: nil)
    }

    /// `run`, with every operation declaring its footprint into `footprints` (DPOR).
    func run(_ program: MutatorProgram, schedule: ScheduleChoice, footprints: FootprintLog?) -> RunOutcome {
        if let e = program.validationError() {
            return RunOutcome(verdict: .error("malformed program: \(e)"), replay: "r1:", decisions: 0, cycles: 0, trace: [])
        }
        let kind: ScheduleStrategyKind
        switch schedule {
        case .random(let s): kind = .random(seed: s)
        case .pct(let s, let d): kind = .pct(seed: s, depth: d, expectedSteps: Self.expectedSteps(program))
        case .replay(let r): kind = .replay(r)
        case .custom(let make): kind = .custom(make)
        }
        var c = RuntimeConfig()
        c.collector = collector
        c.checkLevel = checkLevel
        c.gogc = nil
        c.arenaBytes = arenaBytes
        c.globals = MutatorProgram.globals
        c.scheduler = SchedulerConfig()
        c.scheduler.procs = 1
        c.scheduler.reportPanics = false
        if let procs = realThreads {
            c.scheduler.procs = procs
            c.forcedGCPeriodNS = .max
        } else {
            c.scheduler.deterministic = DeterministicConfig(strategy: kind, maxSteps: maxDecisions)
        }
        let rt: TriColorRuntime
        do { rt = try TriColorRuntime(c) } catch {
            return RunOutcome(verdict: .error("cannot create the runtime: \(error)"), replay: "r1:", decisions: 0, cycles: 0, trace: [])
        }
        rt.heap.accessObserver = footprints
        let exec = ProgramExecution(rt: rt, program: program, tracing: traceOperations, footprints: footprints,
                                    deterministic: realThreads == nil)
        exec.trace.showInvariants = checkLevel == .full
        var verdict = RunOutcome.Verdict.pass
        do {
            try rt.run { exec.main() }
        } catch {
            if case .panic(_, let m) = error, m.hasPrefix("GC: ") { verdict = .gcFailure(m) } else { verdict = .error(error.description) }
        }
        let replay = rt.scheduler.replayString ?? "r1:"
        var outcome = RunOutcome(verdict: verdict, replay: replay,
                                 decisions: rt.scheduler.recordedChoices,
                                 cycles: Int(rt.heap.cycle), trace: exec.trace.lines, steps: rt.scheduler.deterministicSteps)
        outcome.frames = exec.trace.frames
        outcome.safePointChoices = exec.safePointChoices ?? []
        if traceOperations { exec.trace.finish(&outcome.frames, outcome) }
        return outcome
    }
}
