// gcbench's command line, parsed here (not in the executable) so tests can check it: every
// bad argument is a `BenchUsageError`, and `parseOrExit` turns one into the usage text on
// stderr and exit status 2.

import TriColor
import Foundation

/// gcbench's options. Defaults: every suite, every workload, the four safe collectors,
/// procs 1 and 2, 3 repeats.
public struct BenchOptions: Sendable, Equatable {
    public var suites: [String] = []
    public var workloads: [String] = []
    public var procs: [Int] = [1, 2]
    public var repeats = 3
    public var quick = false
    /// Also run one floating-garbage measurement per configuration (`--float`): a full
    /// checkmark at every mark termination, about 5x a timed run, so off by default.
    public var measureFloating = false
    /// The table's MMU columns count sweeping as GC time (`--mmu-sweep`; the JSON and CSV
    /// files carry both MMUs either way).
    public var mmuCountsSweep = false
    public var jsonPath: String?
    public var csvPath: String?
    public var outDir: String?
    public var tracePath: String?
    public var smallStacks = false
    public var collectors: [CollectorKind] = CollectorKind.safe
    /// True when --collector was given (ablations run only when named).
    public var collectorsGiven = false
    /// binary-trees depth (--depth); nil: the workload's default.
    public var depth: Int?
    /// --help was given: print `usage` and exit 0.
    public var help = false
    /// `--live N`: run live-churn at N and N/10 live objects (the pause-growth experiment).
    public var liveObjects: Int?
    /// `--goroutines N`: run stacks at N and N/10 goroutines (the re-scan experiment).
    public var stackGoroutines: Int?

    public init() {}

    /// The usage text for the given suite and workload names.
    public static func usage(suites: [String], workloads: [String]) -> String {
        let names = CollectorKind.registered.map(\.rawValue)
        let registered = names.isEmpty ? "" : "\n                registered collectors, only when named: \(names.joined(separator: ", "))"
        return """
        usage: gcbench [--suite NAME[,NAME]] [--workload NAME[,NAME]] [--collector NAME[,NAME]]
                       [--procs N[,N]] [--repeat N] [--quick] [--float] [--mmu-sweep] [--depth N] [--small-stacks]
                       [--live N] [--goroutines N] [--json FILE] [--csv FILE] [--out DIR] [--trace FILE]
          --suite       suites to run (default all but hot): \(suites.joined(separator: ", "))
          --workload    workloads to run (default all): \(workloads.joined(separator: ", "))
          --collector   collectors (default: \(CollectorKind.safe.map(\.rawValue).joined(separator: ", ")));
                        UNSAFE ablations only when named: \(CollectorKind.ablations.map(\.rawValue).joined(separator: ", "))\(registered)
          --procs       GOMAXPROCS values (default 1,2)
          --repeat      timed runs per configuration (default 3; median and min-max reported)
          --quick       small sizes and short runs (a smoke test)
          --float       also measure floating garbage (one extra run per configuration, with a
                        checkmark at every mark termination: about 5x a timed run)
          --mmu-sweep   the tables' MMU columns count sweeping as GC time (lazy, background and
                        pre-cycle span sweeps); without it sweeping is mutator time, as in Go's
                        default MMU. JSON/CSV always carry both (mmu_* and mmu_sweep_*)
          --depth N     binary-trees depth (default 14)
          --live N      pause suite: live-churn at N and N/10 live objects (default one size, 200,000)
          --goroutines N  pause suite: stacks at N and N/10 goroutines (default one size, 2,000)
          --json FILE   every metric of every run, plus per-configuration summaries
          --csv FILE    every metric of every run, one row per run
          --out DIR     SVG plots: MMU curves, pause histograms, heap over time
          --trace FILE  Chrome trace-event JSON of one run of the first selected heap
                        configuration (open in ui.perfetto.dev or chrome://tracing)
          --small-stacks  16 KiB goroutine stacks (sched live-goroutines tries 1,000,000)
        """
    }

    /// Parses `args` (without the program name).
    /// - Parameters:
    ///   - suites: the known suite names; others are rejected.
    ///   - workloads: the known workload names; others are rejected (empty: accept any).
    /// - Throws: `BenchUsageError` for an unknown flag, a missing or malformed value, or an
    ///   unknown suite, workload or collector.
    public static func parse(_ args: [String], suites: [String], workloads: [String]) throws(BenchUsageError) -> BenchOptions {
        var o = BenchOptions()
        var i = 0
        func value(_ flag: String) throws(BenchUsageError) -> String {
            i += 1
            guard i < args.count, !args[i].hasPrefix("--") else { throw BenchUsageError("\(flag) needs a value") }
            return args[i]
        }
        func list(_ flag: String) throws(BenchUsageError) -> [String] {
            let l = try value(flag).split(separator: ",").map(String.init)
            guard !l.isEmpty else { throw BenchUsageError("\(flag) needs a value") }
            return l
        }
        func positive(_ s: String, _ flag: String) throws(BenchUsageError) -> Int {
            guard let n = Int(s), n >= 1 else { throw BenchUsageError("\(flag) wants positive integers, got '\(s)'") }
            return n
        }
        /// A positive size no larger than `limit` (what the machine or the scheduler can hold).
        func size(_ s: String, _ flag: String, atMost limit: Int, _ why: String) throws(BenchUsageError) -> Int {
            let n = try positive(s, flag)
            guard n <= limit else { throw BenchUsageError("\(flag) \(n) is more than \(limit), \(why)") }
            return n
        }
        while i < args.count {
            let a = args[i]
            switch a {
            case "--suite":
                o.suites = try list(a)
                for s in o.suites where !suites.contains(s) {
                    throw BenchUsageError("unknown suite '\(s)' (have: \(suites.joined(separator: ", ")))")
                }
            case "--workload":
                o.workloads = try list(a)
                for w in o.workloads where !workloads.isEmpty && !workloads.contains(w) {
                    throw BenchUsageError("unknown workload '\(w)' (have: \(workloads.joined(separator: ", ")))")
                }
            case "--procs":
                var ps: [Int] = []
                for s in try list(a) { ps.append(try size(s, a, atMost: 256, "the most Ps gcbench runs")) }
                o.procs = ps
            case "--repeat": o.repeats = try size(try value(a), a, atMost: 1_000, "the most repeats gcbench runs")
            case "--collector":
                o.collectorsGiven = true
                var cs: [CollectorKind] = []
                for s in try list(a) {
                    guard let k = CollectorKind(rawValue: s) else {
                        throw BenchUsageError("unknown collector '\(s)' (have: \(CollectorKind.allNames))")
                    }
                    cs.append(k)
                }
                o.collectors = cs
            case "--depth":
                guard let n = Int(try value(a)), (4...24).contains(n) else { throw BenchUsageError("--depth wants 4...24") }
                o.depth = n
            case "--quick": o.quick = true
            case "--float": o.measureFloating = true
            case "--mmu-sweep": o.mmuCountsSweep = true
            case "--live":
                // A live-churn node takes 48 bytes; the tree, its garbage and the heap goal
                // must fit in half the machine's memory.
                let most = Int(min(UInt64(Int.max), ProcessInfo.processInfo.physicalMemory / 2 / 48 / 3))
                o.liveObjects = try size(try value(a), a, atMost: most, "the live objects half this machine's memory can hold")
            case "--goroutines":
                // Each stacks goroutine touches about 32 KiB (its stack and 50 slots).
                let most = Int(min(UInt64(Int.max), ProcessInfo.processInfo.physicalMemory / 2 / (32 << 10)))
                o.stackGoroutines = try size(try value(a), a, atMost: most, "the goroutines half this machine's memory can hold")
            case "--small-stacks": o.smallStacks = true
            case "--json": o.jsonPath = try value(a)
            case "--csv": o.csvPath = try value(a)
            case "--out": o.outDir = try value(a)
            case "--trace": o.tracePath = try value(a)
            case "-h", "--help": o.help = true
            default: throw BenchUsageError("unknown argument '\(a)'")
            }
            i += 1
        }
        return o
    }

    /// Parses `args`; on a usage error writes "gcbench: <error>" and the usage to stderr and
    /// exits with status 2; on --help prints the usage and exits with status 0.
    public static func parseOrExit(_ args: [String], suites: [String], workloads: [String]) -> BenchOptions {
        do {
            let o = try parse(args, suites: suites, workloads: workloads)
            if o.help {
                print(usage(suites: suites, workloads: workloads))
                exit(0)
            }
            return o
        } catch {
            FileHandle.standardError.write(Data("gcbench: \(error)\n\(usage(suites: suites, workloads: workloads))\n".utf8))
            exit(BenchUsageError.exitStatus)
        }
    }
}

/// A bad gcbench command line.
public struct BenchUsageError: Error, CustomStringConvertible, Equatable {
    /// The process exit status for a usage error (as Go's flag package and most CLIs).
    public static let exitStatus: Int32 = 2
    public let description: String
    public init(_ d: String) { description = d }
}
