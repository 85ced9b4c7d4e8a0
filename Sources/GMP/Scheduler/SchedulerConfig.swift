import Foundation

// How a scheduler runs: `SchedulerConfig` and its deterministic-mode part
// (`DeterministicConfig`, `ScheduleStrategyKind`).

/// How a `Scheduler` runs. A value type: build one, tweak fields, pass it to `Scheduler`.
public struct SchedulerConfig: Sendable {
    /// GOMAXPROCS: how many processors (Ps) run goroutines at once. Default: core count.
    public var procs: Int = SchedulerConfig.cores

    /// The core count, read once per process as Go reads ncpu at startup: Foundation reads
    /// it from files under /sys and /proc at every call, which was ~5% of a property-test
    /// run (each run builds a config).
    static let cores = ProcessInfo.processInfo.activeProcessorCount
    /// Usable bytes of every goroutine stack (rounded up to 4 KiB). Default 1 MiB, enough
    /// for a recursive interpreter: it is a reservation (address space), and a goroutine
    /// commits only the pages its frames touch, so a shallow goroutine costs what it did
    /// with 64 KiB stacks (plus page tables: a stack 1 MiB apart from the next one needs a
    /// page-table page of its own about every two stacks). A stack keeps the pages it has
    /// touched when its goroutine object is reused, until the scheduler ends. Past it, the
    /// run stops with `goroutine N stack overflow` (exit status 2). `smallStacks` trades
    /// depth for count.
    public var stackSize: Int = 1 << 20
    /// Guard region below every stack. Swift and clang emit no stack probes and a single
    /// frame can skip 12-24 KiB, so keep it at 64 KiB unless you know your frames.
    public var guardSize: Int = 64 << 10
    /// Print Go's schedtrace line every this many milliseconds (0: off).
    public var schedtraceMS: Int = 0
    /// sysmon preempts a goroutine that has run this long without rescheduling (Go: 10 ms).
    public var preemptAfterNS: Int64 = 10_000_000
    /// sysmon retakes a P from a goroutine in a syscall after at least one full sysmon tick
    /// (~20 us) when other work is waiting, or after this long in any case.
    public var syscallRetakeNS: Int64 = 10_000_000
    /// Upper bound on live goroutines; creating one more fails with a message.
    public var maxGoroutines: Int = 10_000_000
    /// Upper bound on OS threads (Go's debug.SetMaxThreads, default 10000).
    public var maxThreads: Int = 10_000
    /// Deterministic mode: one M, and at every safe point `strategy` picks the next goroutine.
    public var deterministic: DeterministicConfig? = nil
    /// Print a goroutine panic to standard error as it happens (Go's behaviour). Property
    /// tests that expect panics by the thousand turn it off; `run` still throws them.
    public var reportPanics = true

    public init() {}

    /// A configuration for deterministic, replayable runs with a seeded random strategy.
    public static func deterministic(seed: UInt64) -> SchedulerConfig {
        var c = SchedulerConfig()
        c.procs = 1
        c.deterministic = DeterministicConfig(strategy: .random(seed: seed))
        return c
    }

    /// The small-stack configuration for very many goroutines (documented in README):
    /// 16 KiB usable stacks. Guard regions stay 64 KiB (they cost address space only).
    public static var smallStacks: SchedulerConfig {
        var c = SchedulerConfig()
        c.stackSize = 16 << 10
        return c
    }

    /// Applies `TRICOLOR_DEBUG` (GODEBUG style: `schedtrace=1000,gomaxprocs=2`) keys this
    /// module understands: `schedtrace`, `gomaxprocs`. Unknown keys are left for other
    /// layers. Returns messages for malformed values.
    @discardableResult
    public mutating func apply(debug: String) -> [String] {
        var problems: [String] = []
        for (key, value) in DebugSettings.parse(debug) {
            switch key {
            case "schedtrace":
                if let v = Int(value), v >= 0 { schedtraceMS = v } else { problems.append("schedtrace=\(value): want milliseconds") }
            case "gomaxprocs":
                if let v = Int(value), v >= 1 { procs = v } else { problems.append("gomaxprocs=\(value): want a positive integer") }
            default: break
            }
        }
        return problems
    }

    /// The default configuration with `TRICOLOR_DEBUG` applied.
    public static func fromEnvironment() -> SchedulerConfig {
        var c = SchedulerConfig()
        if let s = ProcessInfo.processInfo.environment["TRICOLOR_DEBUG"] {
            for p in c.apply(debug: s) { FileHandle.standardError.write(Data("TRICOLOR_DEBUG: \(p)\n".utf8)) }
        }
        return c
    }
}

/// Deterministic-mode settings.
public struct DeterministicConfig: Sendable {
    public var strategy: ScheduleStrategyKind
    /// Stop a run after this many scheduling decisions (a runaway guard).
    public var maxSteps: Int = 50_000_000
    public init(strategy: ScheduleStrategyKind, maxSteps: Int = 50_000_000) {
        self.strategy = strategy
        self.maxSteps = maxSteps
    }
}

/// Which choice procedure deterministic mode uses at every safe point.
public enum ScheduleStrategyKind: Sendable {
    /// Uniform random choice among the runnable goroutines, from a seeded PRNG.
    case random(seed: UInt64)
    /// PCT (Burckhardt et al., ASPLOS 2010): random priorities, `depth - 1` priority-change
    /// points spread over the first `expectedSteps` decisions; always runs the highest
    /// priority runnable goroutine.
    case pct(seed: UInt64, depth: Int, expectedSteps: Int)
    /// Replays the choices recorded in a replay string (`Scheduler.replayString`).
    case replay(String)
    /// A caller-supplied strategy; `make` is called once per scheduler. Used by exploration
    /// tools that need to see every decision's candidates (exhaustive enumeration).
    case custom(@Sendable () -> any ScheduleStrategy)
}
