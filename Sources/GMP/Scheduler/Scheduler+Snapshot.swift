import CContext

// A picture of the scheduler's queues: every P's status, runnext and local run queue, and
// the global run queue, read from the real structures (RunQueue.swift). Exact when nothing
// runs concurrently (a scheduler that is not running, or one stepped by `SchedulerLab`);
// on a running scheduler it is a racy sample, like Go's schedtrace.

/// The run queues at one moment.
public struct SchedulerSnapshot: Equatable, Sendable {
    /// One P (Go's `p`).
    public struct P: Equatable, Sendable {
        public var id: Int
        /// idle | running | syscall | gcstop | dead.
        public var status: String
        /// The goroutine id in runnext, if any.
        public var runnext: Int64?
        /// The local run queue, head first.
        public var local: [Int64]
    }
    public var procs: [P]
    /// The global run queue, head first.
    public var global: [Int64]
}

extension Scheduler {
    /// The run queues now (see the comment at the top of this file).
    /// - Complexity: O(queued goroutines).
    public func snapshot() -> SchedulerSnapshot {
        let ps = allp.map { p -> SchedulerSnapshot.P in
            let head = p.runqHead.load(ordering: .acquiring), tail = p.runqTail.load(ordering: .acquiring)
            var local: [Int64] = []
            var i = head
            while i != tail {
                let g = GoroutineRef(word: tc_load_relaxed(p.runq + Int(i % Processor.runqSize)))
                local.append(g.withGoroutine { $0.id })
                i &+= 1
            }
            return .init(id: p.id, status: "\(p.currentStatus)", runnext: p.runnext.load(ordering: .acquiring)?.withGoroutine { $0.id },
                         local: local)
        }
        var global: [Int64] = []
        lock.withLock {
            var g = globrunqHead
            while let cur = g {
                global.append(cur.withGoroutine { $0.id })
                g = cur.withGoroutine { $0.schedlink }
            }
        }
        return SchedulerSnapshot(procs: ps, global: global)
    }
}
