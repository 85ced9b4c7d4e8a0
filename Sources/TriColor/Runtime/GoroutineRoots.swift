// The runtime's roots as a RootSource: every live goroutine's stack slots and the
// runtime-owned root areas (channel buffers). Used by markSweep's mark and by the checkmark.

import GMP

/// Every live goroutine's stack slots and the runtime's extra root areas (channel buffers),
/// as a root source. Read only while the goroutines are stopped (world stopped, or each
/// suspended).
struct GoroutineRoots: RootSource {
    let scheduler: Scheduler
    var extra: RootAreas? = nil
    /// Stack slots of every live goroutine (for the pacer's stack scan work).
    func slotCount() -> Int {
        var n = 0
        scheduler.forEachGoroutine { g in
            let st = g.currentStatus
            if st != .dead && st != .idle { n += g.roots.count }
        }
        return n
    }

    func forEachRoot(_ body: (Ref) -> Void) {
        forEachLabelledRoot { r, _ in body(r) }
    }

    func forEachLabelledRoot(_ body: (Ref, String) -> Void) {
        extra?.forEach { body($0, "in a channel buffer") }
        scheduler.forEachGoroutine { g in
            let st = g.currentStatus
            if st == .dead || st == .idle { return }
            let roots = g.roots
            for i in 0..<roots.count { body(Ref(offset: roots[i]), "goroutine \(g.id) slot \(i)") }
        }
    }
}
