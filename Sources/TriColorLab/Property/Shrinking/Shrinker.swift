// Shrinking a failing program to a small counterexample.
//
// Greedy reduction in the style of QuickCheck/Hypothesis shrinking and Zeller's delta
// debugging: propose a simpler candidate, keep it if it still fails, repeat until a whole
// round of proposals makes no progress (a local minimum: removing any one thing we know
// how to remove makes the failure go away). The proposals, cheapest-to-check first:
//
//   1. drop a goroutine (its spawn operations go too; later spawn targets renumber);
//   2. drop operations: chunks of half, a quarter, ... down to single operations, in every
//      goroutine (ddmin's complement step);
//   3. fuse two adjacent operations into the one that does both without a safe point
//      between (`load` + `clearField` -> `take`, `store` + `clear` -> `put`, `alloc` +
//      `store` -> `allocInto`): one operation less, the same writes;
//   4. simplify the initial heap: main starts no GC cycle; clear a global, an initial slot,
//      a field; drop an object (references to it become nil).
//
// "Still fails" means some run of the candidate hits an oracle (`.gcFailure`; a candidate
// that deadlocks because a shrink removed the matching send is not a counterexample). A
// changed program no longer follows the original schedule, so the candidate is run under
// the last failing schedule, then (when it removes or fuses operations) under that run's
// choices without the ones the removed operations' safe points made, so the rest of the
// schedule stays aligned with the operations that remain (`RunOutcome.safePointChoices`),
// then under that schedule's choices replayed leniently (a
// choice out of range wraps, and past the end choices are random: when an operation before
// the failure is gone, the rest of the interleaving is still roughly the one that failed),
// then under a few more random and PCT seeds: small programs fail under many schedules, and
// searching a handful keeps shrinking from stalling. When a whole round makes no progress,
// one more round runs with `escalatedSeeds` seeds per scheduler before giving up (measured
// with `tricolor check --shrink-stats`: without it 3-18% of the ablations' failures stayed
// at 13-39 operations).
// Every accepted candidate is strictly smaller (fewer goroutines, operations, objects or
// roots), so shrinking terminates.

import TriColor
import GMP

extension MutatorOp {
    /// Whether the operation reads or writes the goroutine's slot `slot`.
    func mentions(slot: Int) -> Bool {
        switch self {
        case .alloc(let a), .clear(let a), .allocInto(let a, _), .clearField(let a, _), .setGlobal(_, let a),
             .loadGlobal(let a, _), .send(_, let a), .receive(_, let a), .spawn(_, let a):
            return a == slot
        case .store(let a, _, let b), .put(let a, _, let b), .copy(let a, let b): return a == slot || b == slot
        case .load(let a, let b, _), .take(let a, let b, _): return a == slot || b == slot
        case .clearGlobal, .yield, .startGC: return false
        }
    }
}

/// Reduces failing programs (see the essay above).
public struct Shrinker: Sendable {
    public var runner: ProgramRunner
    /// Seeds per scheduler tried on each candidate (after the original schedule).
    public var seedsPerCandidate: Int
    /// PCT depth for the PCT seeds.
    public var pctDepth: Int

    /// Seeds per scheduler in the last round, when the normal ones made no progress.
    public var escalatedSeeds: Int

    public init(runner: ProgramRunner, seedsPerCandidate: Int = 4, pctDepth: Int = 3, escalatedSeeds: Int = 24) {
        var r = runner
        r.traceOperations = false
        self.runner = r
        self.seedsPerCandidate = seedsPerCandidate
        self.pctDepth = pctDepth
        self.escalatedSeeds = escalatedSeeds
    }

    /// Candidates run while shrinking (statistics).
    public final class Stats: @unchecked Sendable {
        public var candidates = 0, runs = 0
        public init() {}
    }

    /// A failing run of `program`, trying `schedule` first, or nil.
    func failingRun(_ program: MutatorProgram, _ schedule: ScheduleChoice, _ stats: Stats, seeds: Int? = nil,
                    aligned: [Int]? = nil) -> (RunOutcome, ScheduleChoice)? {
        stats.candidates += 1
        var schedules: [ScheduleChoice] = [schedule]
        if let aligned { schedules.append(.custom { LenientReplayStrategy(aligned) }) }
        if case .replay(let r) = schedule, let choices = try? ReplayString.decode(r) {
            schedules.append(.custom { LenientReplayStrategy(choices) })
        }
        for s in 0..<UInt64(seeds ?? seedsPerCandidate) {
            schedules.append(.random(seed: 0x5EED_0000 &+ s))
            schedules.append(.pct(seed: 0x5EED_1000 &+ s, depth: pctDepth))
        }
        for sc in schedules {
            stats.runs += 1
            let o = runner.run(program, schedule: sc)
            if o.isGCFailure { return (o, sc) }
        }
        return nil
    }

    /// Shrinks `program`, which fails under `schedule`. Returns the smallest failing
    /// program found, a failing run of it and that run's schedule.
    public func shrink(_ program: MutatorProgram, schedule: ScheduleChoice, stats: Stats = Stats())
        -> (program: MutatorProgram, outcome: RunOutcome, schedule: ScheduleChoice)? {
        guard var best = failingRun(program, schedule, stats) else { return nil }
        var current = program
        var progress = true, escalated = false
        while progress {
            progress = false
            var list = Self.candidates(current)
            var i = 0
            while i < list.count {
                let candidate = list[i].program
                if candidate.validationError() == nil,
                   let hit = failingRun(candidate, best.1, stats, seeds: escalated ? escalatedSeeds : nil,
                                        aligned: Self.choices(of: best.0, without: list[i].dropped)) {
                    current = candidate
                    best = hit
                    progress = true
                    // Carry on at the same position of the smaller program's proposals
                    // (the ones before it were just tried); a new round starts from 0.
                    list = Self.candidates(current)
                } else {
                    i += 1
                }
            }
            if !progress && !escalated && escalatedSeeds > seedsPerCandidate {
                escalated = true
                progress = true
            } else if progress {
                escalated = false
            }
        }
        return (current, best.0, best.1)
    }

    /// Replays recorded choices without failing on a mismatch: a choice out of range wraps,
    /// and past the recorded choices the picks are uniform random (fixed seed).
    final class LenientReplayStrategy: ScheduleStrategy {
        let choices: [Int]
        var next = 0
        var rng = SplitMix64(seed: 0x5EED_2000)
        init(_ choices: [Int]) { self.choices = choices }
        func pick(_ candidates: [Int64], running: Int64?, step: Int) -> Int {
            defer { next += 1 }
            if next < choices.count { return choices[next] % candidates.count }
            return Int(rng.next() % UInt64(candidates.count))
        }
    }

    /// A simpler variant of a program, and which operations' safe points it no longer has
    /// (goroutine, operation indices), when it removes or fuses operations.
    struct Candidate {
        var program: MutatorProgram
        var dropped: (thread: Int, ops: Range<Int>)? = nil
    }

    /// The choices of `outcome`'s run without those its dropped operations' safe points made:
    /// the failing schedule, kept aligned with the operations that remain (nil: nothing to
    /// drop, or nothing recorded).
    static func choices(of outcome: RunOutcome, without dropped: (thread: Int, ops: Range<Int>)?) -> [Int]? {
        guard let d = dropped, d.thread < outcome.safePointChoices.count,
              let choices = try? ReplayString.decode(outcome.replay) else { return nil }
        let spc = outcome.safePointChoices[d.thread]
        let drop = Set(d.ops.compactMap { $0 < spc.count ? spc[$0] : nil })
        if drop.isEmpty { return nil }
        return choices.indices.filter { !drop.contains($0) }.map { choices[$0] }
    }

    /// Simpler variants of `p`, most aggressive first.
    static func candidates(_ p: MutatorProgram) -> [Candidate] {
        var out: [Candidate] = []
        for k in p.threads.indices.reversed() {
            out.append(Candidate(program: removingThread(k, from: p), dropped: (k, p.threads[k].ops.indices)))
        }
        for k in p.threads.indices {
            let n = p.threads[k].ops.count
            var chunk = n / 2
            while chunk >= 1 {
                var start = 0
                while start < n {
                    var q = p
                    q.threads[k].ops.removeSubrange(start..<min(n, start + chunk))
                    out.append(Candidate(program: q, dropped: (k, start..<min(n, start + chunk))))
                    start += chunk
                }
                chunk /= 2
            }
        }
        for k in p.threads.indices {
            for j in p.threads[k].ops.indices.dropLast() {
                if let merged = merging(p.threads[k].ops, at: j) {
                    var q = p
                    q.threads[k].ops = merged
                    out.append(Candidate(program: q, dropped: (k, j..<(j + 1))))
                }
            }
        }
        var rest: [MutatorProgram] = []
        if p.gcAtStart { var q = p; q.gcAtStart = false; rest.append(q) }
        for g in p.globals.indices where p.globals[g] != nil { var q = p; q.globals[g] = nil; rest.append(q) }
        for k in p.threads.indices where !p.threads[k].spawned {
            for s in p.threads[k].slots.indices where p.threads[k].slots[s] != nil {
                var q = p
                q.threads[k].slots[s] = nil
                rest.append(q)
            }
        }
        for o in p.heap.indices.reversed() { rest.append(removingObject(o, from: p)) }
        for o in p.heap.indices {
            for f in p.heap[o].indices where p.heap[o][f] != nil { var q = p; q.heap[o][f] = nil; rest.append(q) }
        }
        return out + rest.map { Candidate(program: $0) }
    }

    /// `ops` with operations `j` and `j + 1` fused into the one operation that does both
    /// with no safe point between, or nil: `s[d] = s[o].f; s[o].f = nil` becomes
    /// `.take`, `s[o].f = s[x]; s[x] = nil` becomes `.put`, and `s[d] = new; s[o].f = s[d]`
    /// becomes `.allocInto` when no later operation reads or writes `s[d]` (the goroutine
    /// then no longer holds the new object itself). The fused program does the same
    /// writes, so the failure usually survives; it only loses one decision.
    static func merging(_ ops: [MutatorOp], at j: Int) -> [MutatorOp]? {
        let fused: MutatorOp
        switch (ops[j], ops[j + 1]) {
        case (.load(let d, let o, let f), .clearField(let o2, let f2)) where o == o2 && f == f2 && d != o:
            fused = .take(slot: d, obj: o, field: f)
        case (.store(let o, let f, let x), .clear(let x2)) where x == x2:
            fused = .put(obj: o, field: f, from: x)
        case (.alloc(let d), .store(let o, let f, let x)) where x == d && o != d
            && !ops[(j + 2)...].contains(where: { $0.mentions(slot: d) }):
            fused = .allocInto(obj: o, field: f)
        default: return nil
        }
        var out = ops
        out.replaceSubrange(j...(j + 1), with: [fused])
        return out
    }

    /// `p` without goroutine `k`: spawns of it are dropped, later spawn targets renumbered.
    static func removingThread(_ k: Int, from p: MutatorProgram) -> MutatorProgram {
        var q = p
        q.threads.remove(at: k)
        for t in q.threads.indices {
            q.threads[t].ops = q.threads[t].ops.compactMap { op in
                guard case .spawn(let c, let s) = op else { return op }
                if c == k { return nil }
                return .spawn(child: c > k ? c - 1 : c, from: s)
            }
        }
        return q
    }

    /// `p` without initial object `o`: references to it become nil, later ones renumber.
    static func removingObject(_ o: Int, from p: MutatorProgram) -> MutatorProgram {
        func remap(_ v: Int?) -> Int? {
            guard let v, v != o else { return nil }
            return v > o ? v - 1 : v
        }
        var q = p
        q.heap.remove(at: o)
        q.heap = q.heap.map { $0.map(remap) }
        q.globals = q.globals.map(remap)
        for t in q.threads.indices { q.threads[t].slots = q.threads[t].slots.map(remap) }
        return q
    }
}
