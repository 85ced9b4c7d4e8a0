// The runtime's roots as a RootSource: every live goroutine's stack slots and the
// runtime-owned root areas (channel buffers, the finalizer queue). Used by markSweep's mark
// and by the checkmark.

import GMP

/// Every live goroutine's stack slots and the runtime's extra root areas (channel buffers,
/// the finalizer queue), as a root source. Read only while the goroutines are stopped (world stopped, or each
/// suspended).
struct GoroutineRoots: RootSource {
    let scheduler: Scheduler
    var extra: RootAreas? = nil
    /// Every goroutine whose stack holds roots (not dead, not idle).
    private func forEachLiveGoroutine(_ body: (Goroutine) -> Void) {
        scheduler.forEachGoroutine { g in
            let st = g.currentStatus
            if st != .dead && st != .idle { body(g) }
        }
    }

    /// Stack slots of every live goroutine (for the pacer's stack scan work).
    func slotCount() -> Int {
        var n = 0
        forEachLiveGoroutine { n += $0.roots.count }
        return n
    }

    /// The roots without labels: the marker's path, which must not build a string per slot.
    func forEachRoot(_ body: (Ref) -> Void) {
        extra?.forEach(body)
        forEachLiveGoroutine { g in
            let roots = g.roots
            for i in 0..<roots.count { body(Ref(offset: roots[i])) }
        }
    }

    func forEachLabelledRoot(_ body: (Ref, String) -> Void) {
        extra?.forEach { body($0, "in a channel buffer or the finalizer queue") }
        forEachLiveGoroutine { g in
            let roots = g.roots
            for i in 0..<roots.count { body(Ref(offset: roots[i]), "goroutine \(g.id) slot \(i)") }
        }
    }
}
