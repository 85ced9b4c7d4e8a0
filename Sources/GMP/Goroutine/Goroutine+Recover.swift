// Go's panic and recover, as Swift errors.
//
// Go unwinds a panicking goroutine's stack, running its deferred calls, until a deferred
// call's `recover()` stops the unwinding; an unrecovered panic ends the program. Swift
// unwinds only by throwing, so a recoverable panic is a thrown `GoPanic`: `defer` blocks
// run as it propagates (Go's deferred calls), `Goroutine.recover { }` is the frame whose
// deferred `recover()` catches it, and a panic that leaves the goroutine's body unrecovered
// ends the run exactly as before: Go's report on standard error (`panic: <value>` and
// `goroutine N [running]`) and `Scheduler.run` throwing `SchedulerError.panic`, which a
// program turns into exit status 2.
//
// What cannot be recovered: `Goroutine.panic` and the runtime errors GMP raises from
// non-throwing calls (send on a closed channel, close of a closed channel, a non-positive
// ticker period). Those calls cannot throw without changing every caller, and Swift cannot
// unwind non-throwing frames, so they stay fatal to the run, like Go's `throw`.

/// A Go panic carried as a Swift error: `throw GoPanic(value)` is Go's `panic(value)`.
/// Recover it with `Goroutine.recover { }`; thrown out of a goroutine body, it ends the
/// run with `panic: <value>`.
public struct GoPanic: Error, CustomStringConvertible {
    /// The value passed to panic (Go's `recover()` result).
    public let value: any Sendable

    public init(_ value: any Sendable) { self.value = value }

    /// The value as Go prints it after `panic: `.
    public var description: String { "\(value)" }
}

extension Goroutine {
    /// Runs `body` and returns the panic it raised, or nil if it returned normally (Go's
    /// `defer func() { p = recover() }()` around the call). A `GoPanic` comes back as
    /// thrown; any other error thrown by `body` is a panic too (a goroutine body that throws
    /// panics) and comes back wrapped, `GoPanic(error)`. The goroutine, and the run, go on.
    /// Runtime panics raised through `Goroutine.panic` are not recoverable (see
    /// Goroutine+Recover.swift).
    ///
    /// ```swift
    /// let p = Goroutine.recover { try parse(input) }   // parse throws GoPanic("bad input")
    /// if let p { print("recovered:", p.value) }
    /// ```
    public static func recover(_ body: () throws -> Void) -> GoPanic? {
        do {
            try body()
            return nil
        } catch let p as GoPanic {
            return p
        } catch {
            return GoPanic(error)
        }
    }
}
