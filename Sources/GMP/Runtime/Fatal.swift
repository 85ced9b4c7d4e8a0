import CContext

// GMP's failure path for a broken runtime invariant (a bug in GMP or a misuse it cannot
// survive). Failures of the program being run (deadlock, panic, resource limits) are not
// this: they end `Scheduler.run` with a `SchedulerError` (`Scheduler.fail`).

/// Stops the program with a message naming the broken invariant.
func fatal(_ message: String, file: StaticString = #file, line: UInt = #line) -> Never {
    tc_write_stderr("fatal error: \(message)\n")
    fatalError(message, file: file, line: line)
}
