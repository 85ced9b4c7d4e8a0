import CContext

// Goroutine stacks: the `Stack` value and the `StackPool` that maps them.

/// A goroutine stack: `size` usable bytes at `lo`, with a guard region just below.
struct Stack: @unchecked Sendable {
    let lo: UnsafeMutableRawPointer
    let size: Int
    let guardSize: Int
    var guardLo: UnsafeMutableRawPointer { lo - guardSize }
}

/// Where goroutine stacks come from (Go's stackpool, stack.go).
///
/// Stacks are mapped in slabs (`CContext/stack.c` explains the layout and why guards use
/// MADV_GUARD_INSTALL) and never unmapped while the scheduler lives. A stack stays with its
/// goroutine object, and a dead goroutine is reused with its stack (Scheduler+Goroutines.swift);
/// a new goroutine object takes one from its P's cache (`Processor.stackCache`, owned by the
/// P's current M, no lock), refilled from this pool's free list in batches. Stacks return to
/// the free list only when the scheduler shuts down. The free list and slabs are protected
/// by `lock`.
final class StackPool: @unchecked Sendable {
    let usable: Int
    let guardSize: Int
    let slabCount: Int
    private let lock = RuntimeLock()
    private var free: [Stack] = []          // protected by lock
    private var slabs: [(UnsafeMutableRawPointer, Int)] = []  // protected by lock
    private var guardMode: Int32 = 0         // TC_GUARD_* of the last slab; protected by lock
    private var mapped = 0                   // stacks mapped; protected by lock

    init(usable: Int, guardSize: Int, slabCount: Int = 64) {
        let page = 4096
        // Under ASan a stack smaller than 1 MiB is 4x what was asked, at most 1 MiB (its frames
        // are bigger), as Go enlarges stacks under its race detector. Not beyond: ASan gives
        // every goroutine a fake stack sized from its stack, and 4x on the 1 MiB default ran a
        // full ASan test run out of memory (24 GiB).
        let m = Int(tc_stack_sanitizer_multiplier())
        let asked = usable >= 1 << 20 ? usable : min(usable * m, max(usable, 1 << 20))
        self.usable = (asked + page - 1) / page * page
        self.guardSize = (guardSize + page - 1) / page * page
        self.slabCount = slabCount
    }

    deinit {
        for (base, len) in slabs where !SlabCache.shared.keep(base, len, key, guardMode) { munmapSlab(base, len) }
    }

    /// The geometry a cached slab must have to serve this pool.
    private var key: SlabCache.Key { SlabCache.Key(count: slabCount, usable: usable, guardSize: guardSize) }

    /// Takes a free stack, mapping a new slab if needed. Throws when the kernel refuses the
    /// mapping or, with mprotect guards, when vm.max_map_count would be exceeded.
    func get() throws(SchedulerError) -> Stack {
        lock.lock()
        defer { lock.unlock() }
        if let s = free.popLast() { return s }
        try mapSlab()
        return free.removeLast()
    }

    /// Takes up to `n` stacks for a P's cache.
    func get(batch n: Int, into cache: inout [Stack]) throws(SchedulerError) {
        lock.lock()
        defer { lock.unlock() }
        for _ in 0..<n {
            if free.isEmpty { try mapSlab() }
            cache.append(free.removeLast())
        }
    }

    func put(_ s: Stack) {
        lock.withLock { free.append(s) }
    }

    /// Called with lock held.
    private func mapSlab() throws(SchedulerError) {
        if guardMode == TC_GUARD_MPROTECT {
            // Two mappings per stack: keep well below vm.max_map_count.
            let budget = (tc_max_map_count() - 2048) / 2
            if mapped + slabCount > budget {
                throw .resourceLimit("too many goroutines: \(mapped) stacks with mprotect guard "
                    + "regions use 2 mappings each and vm.max_map_count is \(tc_max_map_count()); "
                    + "this kernel lacks MADV_GUARD_INSTALL (Linux 6.13+). Raise vm.max_map_count "
                    + "or run fewer goroutines")
            }
        }
        var mode: Int32 = 0
        guard let base = SlabCache.shared.take(key, &mode) ?? tc_stack_slab_map(slabCount, usable, guardSize, &mode) else {
            throw .resourceLimit("cannot map goroutine stacks (\(slabCount) x \(usable + guardSize) "
                + "bytes): out of address space or mappings; \(mapped) stacks mapped so far")
        }
        guardMode = mode
        let step = usable + guardSize
        slabs.append((base, step * slabCount))
        mapped += slabCount
        // Push in reverse so the lowest stack is handed out first (better locality).
        for i in stride(from: slabCount - 1, through: 0, by: -1) {
            free.append(Stack(lo: base + i * step + guardSize, size: usable, guardSize: guardSize))
        }
    }
}

/// Slabs of stack pools that have gone (their schedulers shut down), kept for the next pool
/// with the same geometry: mapping a slab installs a guard per stack and unmapping it tears
/// its page tables down, which was ~20% of a deterministic property-test run (`perf record`
/// on `tricolor check`), and a reused slab's stacks have their pages already faulted in. At
/// most `limit` slabs are kept; a kept slab still counts against the mapping budget of the
/// pool that takes it (`mapped`). A slab's memory is only ever used by one pool at a time:
/// it is here, or in exactly one pool's `slabs`.
private final class SlabCache: @unchecked Sendable {
    struct Key: Equatable { var count: Int, usable: Int, guardSize: Int }
    static let shared = SlabCache()
    static let limit = 4
    private let lock = RuntimeLock()
    /// Protected by lock.
    private var slabs: [(key: Key, base: UnsafeMutableRawPointer, len: Int, mode: Int32)] = []

    /// A cached slab of geometry `key` (its guard mode in `mode`), or nil.
    func take(_ key: Key, _ mode: inout Int32) -> UnsafeMutableRawPointer? {
        lock.withLock {
            guard let i = slabs.lastIndex(where: { $0.key == key }) else { return nil }
            let s = slabs.remove(at: i)
            mode = s.mode
            return s.base
        }
    }

    /// Keeps a slab of a pool that is going away; false if the cache is full.
    func keep(_ base: UnsafeMutableRawPointer, _ len: Int, _ key: Key, _ mode: Int32) -> Bool {
        lock.withLock {
            guard slabs.count < Self.limit, tc_stack_slab_prepare_reuse(base, len) != 0 else { return false }
            slabs.append((key, base, len, mode))
            return true
        }
    }
}

import Glibc
private func munmapSlab(_ base: UnsafeMutableRawPointer, _ len: Int) { munmap(base, len) }
