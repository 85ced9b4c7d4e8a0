import CContext

// Small public accessors a collector needs from the scheduler's internals.

extension Processor {
    /// The P held by the calling thread's M (nil outside scheduler threads or while the M
    /// has no P, e.g. inside `Scheduler.syscall`). Valid until the goroutine's next safe
    /// point: after one it may run on another P.
    @inline(__always) public static var current: Processor? { Machine.current?.p }
}

extension Goroutine {
    /// The scheduler this goroutine belongs to.
    public var scheduler: Scheduler { sched }
}
