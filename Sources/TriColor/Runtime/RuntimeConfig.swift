import Foundation
import GMP

/// How much checking a runtime does.
public enum CheckLevel: String, Sendable, Comparable {
    /// No checks (benchmarks).
    case off
    /// Checkmark at every mark termination, and checked Refs (stale-Ref detection).
    case cheap
    /// As cheap, plus tri-colour invariant checks after every barrier and scan step. The
    /// checks walk the heap while the program runs, so they need one goroutine running at a
    /// time: procs = 1 or a deterministic scheduler. `TriColorRuntime.init` refuses `.full`
    /// with more Ps on real threads.
    case full

    public static func < (a: CheckLevel, b: CheckLevel) -> Bool {
        let order: [CheckLevel] = [.off, .cheap, .full]
        return order.firstIndex(of: a)! < order.firstIndex(of: b)!
    }
}

/// Everything a `TriColorRuntime` needs: a value type; build, tweak, pass.
public struct RuntimeConfig: Sendable {
    public var collector: CollectorKind = .markSweep
    /// The scheduler (GOMAXPROCS, stacks, deterministic mode...).
    public var scheduler = SchedulerConfig()
    /// GOGC: the heap goal is live x (1 + gogc/100). nil turns the pacer off (collect()
    /// still works).
    public var gogc: Int? = 100
    /// Heap limit in bytes of spans in use (.max: none). Allocation past it runs a GC first
    /// and then fails, naming the limit and the live size.
    public var heapLimit: Int = .max
    /// The soft memory limit (Go's GOMEMLIMIT) in bytes of heap spans in use (.max: none):
    /// the pacer lowers the heap goal to stay under it, and lets the heap past it only when
    /// GC would otherwise take more than half the CPU (Pacer.swift).
    public var memoryLimit: Int = .max
    /// The smallest heap goal (Go's heapminimum, 4 MB).
    public var minimumHeapGoal: Int = 4 << 20
    public var checkLevel: CheckLevel = .off
    /// Print a gctrace line after every cycle (Go's GODEBUG=gctrace=1).
    public var gctrace = false
    /// Force a collection when none ran for this long (Go: 2 minutes).
    public var forcedGCPeriodNS: Int64 = 120_000_000_000
    /// Virtual bytes reserved for the arena.
    public var arenaBytes: Int = 64 << 30
    /// Number of global root slots.
    public var globals: Int = 1024
    /// Record GC events (phases, pauses, workers, assists, span sweeps) in
    /// `TriColorRuntime.events`.
    public var recordEvents = false
    /// Also record every goroutine run slice per P (implies recordEvents; for traces).
    public var traceGoroutines = false
    /// At every mark termination, measure floating garbage: objects marked by the cycle but
    /// unreachable from the roots at its end (an extra full traversal in the pause; off by
    /// default).
    public var measureFloatingGarbage = false

    public init() {}

    /// A runtime for stepping a mark by hand (teaching scenarios, barrier tests): `collector`
    /// on the deterministic scheduler (seed 1), no pacer, checks at `checkLevel`, and an
    /// arena of 1 GiB.
    public static func stepping(_ collector: CollectorKind, checkLevel: CheckLevel = .cheap) -> RuntimeConfig {
        var c = RuntimeConfig()
        c.collector = collector
        c.arenaBytes = 1 << 30
        c.checkLevel = checkLevel
        c.gogc = nil
        c.scheduler = .deterministic(seed: 1)
        return c
    }

    /// The default configuration with `TRICOLOR_DEBUG` applied.
    public static func fromEnvironment() -> RuntimeConfig {
        var c = RuntimeConfig()
        c.scheduler = SchedulerConfig.fromEnvironment()
        if let s = ProcessInfo.processInfo.environment["TRICOLOR_DEBUG"] {
            for p in c.apply(debug: s) { FileHandle.standardError.write(Data("TRICOLOR_DEBUG: \(p)\n".utf8)) }
        }
        return c
    }

    /// Applies GODEBUG-style settings: `gctrace=1`, `gccheckmark=1` (check level cheap),
    /// `gccheck=off|cheap|full`, `gogc=N|off`, `collector=NAME` (a built-in or a registered
    /// collector), `heaplimit=BYTES`, `memlimit=BYTES`, plus the
    /// scheduler's `schedtrace=MS` and `gomaxprocs=N`. Returns messages for bad values.
    @discardableResult
    public mutating func apply(debug: String) -> [String] {
        var problems = scheduler.apply(debug: debug)
        for (k, v) in DebugSettings.parse(debug) {
            switch k {
            case "gctrace": gctrace = v != "0"
            case "gccheckmark": if v != "0" { checkLevel = max(checkLevel, .cheap) }
            case "gccheck":
                if let l = CheckLevel(rawValue: v) { checkLevel = l } else { problems.append("gccheck=\(v): want off, cheap or full") }
            case "gogc":
                if v == "off" { gogc = nil } else if let n = Int(v), n >= 0 { gogc = n } else { problems.append("gogc=\(v): want a percentage or off") }
            case "collector":
                if let ck = CollectorKind(rawValue: v) { collector = ck } else {
                    problems.append("collector=\(v): want one of \(CollectorKind.allNames)")
                }
            case "heaplimit":
                if let n = Int(v), n > 0 { heapLimit = n } else { problems.append("heaplimit=\(v): want bytes") }
            case "memlimit":
                if let n = Int(v), n > 0 { memoryLimit = n } else { problems.append("memlimit=\(v): want bytes") }
            default: break
            }
        }
        return problems
    }
}
