// How a run of the scheduler fails: the error `Scheduler.run` throws, and its Go-style
// message.

/// Why `Scheduler.run` failed.
public enum SchedulerError: Error, CustomStringConvertible, Equatable {
    /// Every goroutine is blocked and nothing can wake them (Go's "all goroutines are
    /// asleep - deadlock!"). The report lists each goroutine and what it waits for.
    case deadlock(String)
    /// A goroutine's body threw or called `Goroutine.panic`; the message names it.
    case panic(goroutine: Int64, message: String)
    /// A resource limit was hit (too many goroutines or threads, no stack memory).
    case resourceLimit(String)
    /// Deterministic mode ran more decisions than `DeterministicConfig.maxSteps`, or a
    /// replay string did not match the program.
    case replay(String)

    public var description: String {
        switch self {
        case .deadlock(let r): "fatal error: all goroutines are asleep - deadlock!\n\n" + r
        case .panic(let g, let m): "panic: \(m)\n\ngoroutine \(g) [running]"
        case .resourceLimit(let m): "fatal error: \(m)"
        case .replay(let m): "replay: \(m)"
        }
    }
}
