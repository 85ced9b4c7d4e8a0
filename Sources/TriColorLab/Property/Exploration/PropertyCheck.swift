// The exploration loop: many seeds, one program and one schedule per seed.
//
// For seed i (from `firstSeed`), the program is `ProgramGenerator.program(seed: i, shape)`
// and `schedulesPerSeed` schedules are drawn by the chosen scheduler from seeds derived
// from i (the seed fails if any of them fails):
//
//   random      uniform choice at every decision (GMP's RandomStrategy);
//   pct         PCT with depth `pctDepth` (Burckhardt et al.): a bug that needs d ordering
//               constraints is hit with probability >= 1/(n k^(d-1)) per run;
//   exhaustive  every schedule of the program with at most `exhaustiveBound` departures
//               from the default choice, up to `exhaustiveMaxSchedules` per seed
//               (ExhaustiveExplorer) — for tiny shapes;
//   dpor        the same bounded search with dynamic partial-order reduction and sleep
//               sets (DPORExplorer): one schedule per class of reorderings of independent
//               steps.
//
// Why several schedules per program: the lost-object windows of some ablations are narrow
// (a stack must be scanned, then take a pointer from a grey object, which must lose it
// before the next drain step), so a given program hits one under roughly 1 in 300 uniform
// schedules; the program, not the schedule, is what the generator controls, and trying a
// few schedules per program finds those windows several times faster per second than
// generating new programs (which pays the generator and shrinks nothing).
//
// Every run has all oracles on (ProgramRunner). The first failure (or every failure, if
// asked) is shrunk (Shrinker) and replayed with tracing into a `Counterexample`: seed,
// collector, scheduler, minimal program, replay token and the operation trace with colours.

import TriColor
import Foundation
import GMP

/// How schedules are drawn for each seed.
public enum ExplorationScheduler: String, CaseIterable, Sendable {
    case random, pct, exhaustive, dpor
}

/// What to check (see the essay above).
public struct CheckConfiguration: Sendable {
    public var collector: CollectorKind
    public var scheduler: ExplorationScheduler = .random
    public var seeds: Int = 1_000
    public var firstSeed: UInt64 = 0
    public var shape = ProgramShape()
    public var pctDepth = 3
    /// Random or PCT schedules run per program (seed); the seed fails if any of them does.
    public var schedulesPerSeed = 4
    public var exhaustiveBound = 1
    public var exhaustiveMaxSchedules = 500
    public var checkLevel: CheckLevel = .full
    /// Stop at the first failing seed (otherwise count every failing seed).
    public var stopAtFirstFailure = true
    /// Shrink the first failure into a counterexample.
    public var shrink = true
    /// Which of the seed indices `0..<seeds` to run (a campaign's shard or worker); the
    /// default runs them all.
    public var slice = SeedSlice.all
    /// Keep the first this many oracle failures (seed and run) in `CheckReport.kept`, and
    /// stop once that many are kept (0: keep none; for shrinking statistics).
    public var keepFailures = 0

    public init(collector: CollectorKind) { self.collector = collector }
}

/// The seed indices i in `0..<seeds` with `i % count == index` (0-based `index`): slices
/// with the same `count` are disjoint and together cover every seed, and each spreads over
/// the whole seed range (cheap and expensive programs alike).
public struct SeedSlice: Hashable, Sendable, Codable {
    public var index: Int
    public var count: Int
    public static let all = SeedSlice(index: 0, count: 1)
    public init(index: Int, count: Int) {
        precondition(count >= 1 && index >= 0 && index < count, "SeedSlice: index \(index) of \(count)")
        self.index = index
        self.count = count
    }
    /// How many of `seeds` indices this slice holds.
    public func size(of seeds: Int) -> Int { seeds > index ? (seeds - index + count - 1) / count : 0 }
    /// Slice `j` of `n` within this one (a worker of a shard).
    public func split(_ j: Int, of n: Int) -> SeedSlice { SeedSlice(index: index + count * j, count: count * n) }
}

/// A minimal failing run, ready to print.
public struct Counterexample: Sendable {
    public var collector: CollectorKind
    public var seed: UInt64
    public var scheduler: ExplorationScheduler
    /// The program as generated, and after shrinking.
    public var original: MutatorProgram
    public var program: MutatorProgram
    /// The failing run of `program`, replayed with the trace on.
    public var outcome: RunOutcome
    public var token: ReplayToken

    /// The report: what failed, the minimal program (listing and Swift), the token, the trace.
    public var report: String {
        var s = "counterexample: collector=\(collector.rawValue) seed=\(seed) scheduler=\(scheduler.rawValue)\n"
        s += "failure: \(outcome.message)\n"
        s += "shrunk from \(original.threads.count) goroutines / \(original.operationCount) operations / "
            + "\(original.heap.count) objects to \(program.threads.count) / \(program.operationCount) / \(program.heap.count)\n"
        s += "replay string: \(outcome.replay)\n"
        s += "replay token: \(token.encoded)\n"
        s += "program:\n" + program.listing.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
        s += "as Swift:\n" + program.swiftSource + "\n"
        s += "operation trace (object:colour after each operation):\n"
        s += outcome.trace.map { "  " + $0 }.joined(separator: "\n")
        return s
    }
}

/// The result of a check.
public struct CheckReport: Sendable {
    public var collector: CollectorKind
    public var scheduler: ExplorationScheduler
    public var seedsRun = 0
    /// Schedules run (one per seed, or more under `exhaustive`).
    public var schedules = 0
    /// Failing seeds (oracle failures and other errors).
    public var failures = 0
    /// Seeds whose run failed other than by an oracle (deadlock, runaway): generator bugs.
    public var errors = 0
    /// 1-based index, among all the campaign's seeds, of the first failing seed (the seeds
    /// a serial run makes until it fails; also in a slice).
    public var seedsUntilFirstFailure: Int?
    public var firstFailure: RunOutcome?
    public var firstFailureSeed: UInt64?
    /// Random and PCT: 1-based count of schedules a serial run makes until the first
    /// failure (nil for exhaustive).
    public var schedulesUntilFirstFailure: Int?
    public var counterexample: Counterexample?
    /// The first `CheckConfiguration.keepFailures` oracle failures.
    public var kept: [(seed: UInt64, program: MutatorProgram, outcome: RunOutcome)] = []
    public var seconds = 0.0

    public var schedulesPerSecond: Double { seconds > 0 ? Double(schedules) / seconds : 0 }

    /// `collector=hybrid seeds=10000 failures=0 schedules_per_s=2345`.
    public var summaryLine: String {
        "collector=\(collector.rawValue) seeds=\(seedsRun) failures=\(failures) schedules_per_s=\(Int(schedulesPerSecond.rounded()))"
    }
}

/// Runs a check (see the essay above).
public enum PropertyCheck {
    /// The schedule seed for program seed `seed` (decorrelated from the program's stream).
    public static func scheduleSeed(_ seed: UInt64, _ index: Int = 0) -> UInt64 {
        var r = SplitMix64(seed: seed ^ 0xD1B5_4A32_D192_ED03 &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        return r.next()
    }

    /// Schedule number `index` of a random or PCT check of `seed`.
    public static func schedule(for seed: UInt64, _ scheduler: ExplorationScheduler, pctDepth: Int, index: Int = 0) -> ScheduleChoice {
        switch scheduler {
        case .pct: .pct(seed: scheduleSeed(seed, index), depth: pctDepth)
        default: .random(seed: scheduleSeed(seed, index))
        }
    }

    /// Runs `config`; `progress` is called after every seed (for long runs).
    public static func run(_ config: CheckConfiguration, progress: ((CheckReport) -> Void)? = nil) -> CheckReport {
        let runner = ProgramRunner(collector: config.collector, checkLevel: config.checkLevel)
        var report = CheckReport(collector: config.collector, scheduler: config.scheduler)
        let start = DispatchTime.now().uptimeNanoseconds
        var failing: (UInt64, MutatorProgram, RunOutcome, ScheduleChoice)?
        for i in stride(from: config.slice.index, to: config.seeds, by: config.slice.count) {
            let seed = config.firstSeed &+ UInt64(i)
            let program = ProgramGenerator.program(seed: seed, shape: config.shape)
            var outcome: RunOutcome
            var schedule = Self.schedule(for: seed, config.scheduler, pctDepth: config.pctDepth)
            var failingSchedule: Int?
            if config.scheduler == .dpor {
                let ex = DPORExplorer(runner: runner, bound: config.exhaustiveBound,
                                      maxSchedules: config.exhaustiveMaxSchedules).explore(program)
                report.schedules += ex.schedules
                outcome = ex.failure ?? RunOutcome(verdict: .pass, replay: "r1:", decisions: 0, cycles: 0, trace: [])
                if let f = ex.failure { schedule = .replay(f.replay) }
            } else if config.scheduler == .exhaustive {
                let ex = ExhaustiveExplorer(runner: runner, bound: config.exhaustiveBound,
                                            maxSchedules: config.exhaustiveMaxSchedules).explore(program)
                report.schedules += ex.schedules
                outcome = ex.failure ?? RunOutcome(verdict: .pass, replay: "r1:", decisions: 0, cycles: 0, trace: [])
                if let f = ex.failure { schedule = .replay(f.replay) }
            } else {
                outcome = RunOutcome(verdict: .pass, replay: "r1:", decisions: 0, cycles: 0, trace: [])
                for j in 0..<max(1, config.schedulesPerSeed) {
                    schedule = Self.schedule(for: seed, config.scheduler, pctDepth: config.pctDepth, index: j)
                    outcome = runner.run(program, schedule: schedule)
                    report.schedules += 1
                    if outcome.failed {
                        failingSchedule = j
                        break
                    }
                }
            }
            report.seedsRun += 1
            if outcome.failed {
                report.failures += 1
                if !outcome.isGCFailure { report.errors += 1 }
                if report.seedsUntilFirstFailure == nil {
                    report.seedsUntilFirstFailure = i + 1
                    report.firstFailure = outcome
                    report.firstFailureSeed = seed
                    // Every earlier seed passed, so ran all its schedules.
                    report.schedulesUntilFirstFailure = failingSchedule.map { i * max(1, config.schedulesPerSeed) + $0 + 1 }
                    failing = (seed, program, outcome, schedule)
                }
            }
            if outcome.isGCFailure && report.kept.count < config.keepFailures { report.kept.append((seed, program, outcome)) }
            progress?(report)
            if outcome.failed && config.stopAtFirstFailure { break }
            if config.keepFailures > 0 && report.kept.count == config.keepFailures { break }
        }
        report.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if let (seed, program, outcome, schedule) = failing {
            report.counterexample = counterexample(collector: config.collector, seed: seed, scheduler: config.scheduler,
                                                   program: program, outcome: outcome, schedule: schedule,
                                                   shrink: config.shrink && outcome.isGCFailure, checkLevel: config.checkLevel)
        }
        return report
    }

    /// Shrinks (if asked) and replays a failing run with the trace on.
    public static func counterexample(collector: CollectorKind, seed: UInt64, scheduler: ExplorationScheduler,
                                      program: MutatorProgram, outcome: RunOutcome, schedule: ScheduleChoice,
                                      shrink: Bool, checkLevel: CheckLevel = .full) -> Counterexample {
        let runner = ProgramRunner(collector: collector, checkLevel: checkLevel)
        var minimal = program
        var replay = outcome.replay
        if shrink, let s = Shrinker(runner: runner).shrink(program, schedule: .replay(outcome.replay)) {
            minimal = s.program
            replay = s.outcome.replay
        }
        _ = schedule
        let token = ReplayToken(collector: collector, program: minimal, replay: replay)
        let traced = token.run(checkLevel: checkLevel)
        return Counterexample(collector: collector, seed: seed, scheduler: scheduler, original: program,
                              program: minimal, outcome: traced, token: token)
    }
}
