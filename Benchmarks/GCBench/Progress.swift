import Foundation
import GMP
import Synchronization

// Progress of the whole gcbench run, on stderr: after every configuration (one workload at
// one procs, for one collector where there are collectors: all its repeats), a line with
// the configurations done, the time so far and an estimate of the time left in the run.
//
// The estimate. Configurations differ in cost by 100x (sched/raw-switch runs for tens of
// milliseconds, net/echo-c10000 for seconds), so counting configurations would mislead.
// Each workload has a prior cost per timed run (`priorRunSeconds`: what one run took on the
// 2-core development machine, 2026-12-02, release build), and a configuration weighs its
// prior times its repeats. When the driver starts, it adds up the weights of every
// configuration the selected suites will run (`Suites.Suite.configurations`). After each
// configuration, the time left is
//
//     (total weight - weight done) x (seconds elapsed / weight done)
//
// that is, the priors scaled by how fast this machine has gone so far. It is an estimate,
// and the line says so; it is printed, never written to the result files, and no metric
// depends on it.

/// Progress through the whole run (one per gcbench process, `RunProgress.shared`).
final class RunProgress: Sendable {
    static let shared = RunProgress()

    private struct State {
        var planned = 0
        var done = 0
        var totalWeight = 0.0
        var doneWeight = 0.0
        var start: Int64 = nanotime()
    }
    /// Every field, read and written under the mutex (the suites run on the main thread
    /// today; the mutex keeps the class Sendable without assuming so).
    private let state = Mutex(State())

    /// Starts the clock: `configurations` weights of the whole run, in run order.
    func plan(_ weights: [Double]) {
        state.withLock {
            $0 = State()
            $0.planned = weights.count
            $0.totalWeight = weights.reduce(0, +)
        }
    }

    /// Counts one finished configuration of `weight` (`weight(_:repeats:)`), or takes a
    /// skipped one out of the plan; returns "[done/planned, N s, ~M s left (estimate)]".
    func step(_ weight: Double, skipped: Bool = false) -> String {
        state.withLock { s in
            if skipped {
                s.planned -= 1
                s.totalWeight -= weight
            } else {
                s.done += 1
                s.doneWeight += weight
            }
            let elapsed = Double(nanotime() - s.start) / 1e9
            let left = s.doneWeight > 0 ? max(0, s.totalWeight - s.doneWeight) * elapsed / s.doneWeight : 0
            return String(format: "[%d/%d, %.0f s, ~%.0f s left in run (estimate)]", s.done, max(s.planned, s.done), elapsed, left)
        }
    }

    /// Writes "  LABEL: WHAT  [progress]" on stderr for a finished configuration of `workload`.
    func report(_ label: String, _ what: String, workload: String, repeats: Int, skipped: Bool = false) {
        let line = "  \(label): \(what)  \(step(Self.weight(workload, repeats: repeats), skipped: skipped))\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// A configuration's weight: its workload's prior run cost x its repeats (plus a tenth
    /// for a warm-up; the sizing experiments' workloads, "live-churn L=N", take the prior of
    /// their workload).
    static func weight(_ workload: String, repeats: Int) -> Double {
        let base = workload.split(separator: " ").first.map(String.init) ?? workload
        return (priorRunSeconds[base] ?? 0.2) * (Double(repeats) + 0.1)
    }

    /// Seconds per timed run on the development machine (2 cores, 2026-12-02, release
    /// build; heap workloads: the mean over the four collectors and both procs of a default
    /// run, including the run's set-up). Only the estimate uses them.
    static let priorRunSeconds: [String: Double] = [
        "yield-pingpong": 0.1, "chan-pingpong": 0.08, "spawn": 0.1, "spawn-burst": 0.23, "fanin": 0.33,
        "live-goroutines": 0.75, "raw-switch": 0.05,
        "binary-trees": 0.16, "gcbench": 0.2,
        "live-churn": 0.22, "stacks": 0.22, "alloc-loop": 0.54,
        "write-heavy": 0.25, "producer-consumer": 0.14, "lru-cache": 0.1,
        "random": 0.2, "pct": 0.2,
        "echo-c1": 0.8, "echo-c100": 0.75, "echo-c10000": 5.0, "server": 0.14, "hot": 0.1,
    ]
}
