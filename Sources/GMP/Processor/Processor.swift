import CContext
import Synchronization

// The P (Go's `p`): its fields, each with its protection, and its status enum. The run
// queue operations are in RunQueue.swift.

/// A processor: the right to run Swift code on behalf of goroutines (Go's `p`, runtime2.go).
///
/// There are exactly GOMAXPROCS processors. An M must hold a P to run goroutines; the P
/// carries the local run queue, `runnext`, the free-goroutine and stack caches, and the
/// per-P storage slot that a collector plugs its allocation cache and work buffers into.
public final class Processor: @unchecked Sendable {
    /// Index in `Scheduler.allp` (Go's p.id).
    public let id: Int

    /// Status (Go's p.status): a `PStatus`. CAS'd by the owner, sysmon (retake) and the
    /// world-stopper; acquire/release.
    let status = Atomic<UInt32>(PStatus.idle.rawValue)

    // MARK: Local run queue (Go's runqhead/runqtail/runq/runnext)

    /// Consumers (owner and thieves) advance the head with a CAS (acquiring-and-releasing).
    let runqHead = Atomic<UInt32>(0)
    /// Only the owner writes the tail (store-release); thieves load-acquire.
    let runqTail = Atomic<UInt32>(0)
    /// 256 slots, each a `GoroutineRef` as a raw word (RunQueue.swift reads and writes them
    /// only as refs), accessed with relaxed atomics: the head/tail release/acquire pair
    /// orders them.
    let runq: UnsafeMutablePointer<UInt>
    static let runqSize: UInt32 = 256
    /// The goroutine readied by the current one, run next and inheriting the time slice
    /// (nil when empty). Only the owner stores a goroutine (release); the owner and thieves
    /// take it with an acquire-release CAS or exchange.
    let runnext = Atomic<GoroutineRef?>(nil)

    /// Incremented every time a goroutine is scheduled without inheriting a time slice
    /// (owner writes, sysmon reads: relaxed, sysmon only compares it with its last sample).
    let schedtick = Atomic<UInt32>(0)
    /// Incremented on entering and leaving a syscall by the goroutine's thread, and when
    /// sysmon or the world-stopper takes the P from a syscall (relaxed, like `schedtick`).
    let syscalltick = Atomic<UInt32>(0)

    /// The goroutine running on this P (nil when none). Written by the owner M (relaxed);
    /// read by sysmon and the world-stopper to request preemption, a hint they act on only
    /// through the goroutine's own `preempt` flag.
    let curg = Atomic<GoroutineRef?>(nil)

    /// The M holding this P. Written by whichever thread moves the P (acquirep/releasep,
    /// entersyscall/exitsyscall), which at that moment owns the P by the hand-off rules
    /// (Scheduler+Handoff.swift); read by that owner.
    unowned(unsafe) var m: Machine?
    /// Idle-P list link; protected by the scheduler lock.
    unowned(unsafe) var link: Processor?

    /// Dead goroutines ready for reuse, with their stacks (Go's p.gFree): a stack linked
    /// through `Goroutine.schedlink` (nil: empty), and its length. Owner only. A list, not
    /// an Array: spawn and exit touch it every time, and an Array paid a uniqueness check
    /// and a dynamic exclusivity check per push and pop.
    private(set) var gFree: GoroutineRef? = nil
    private(set) var gFreeCount = 0
    /// Goroutine ids reserved for this P, `goidCache..<goidCacheEnd` (Go's goidcache);
    /// owner only.
    var goidCache: Int64 = 0
    var goidCacheEnd: Int64 = 0
    static let goidBatch: Int64 = 16
    /// Cached free stacks (owner only).
    var stackCache: [Stack] = []
    /// This P's timers (Go's p.timers; TimerHeap has its own lock). Immutable reference.
    let timers: TimerHeap

    /// Per-P storage for a collector (for example an allocation cache or a work buffer).
    /// Accessed only by the M that holds this P, or while the world is stopped.
    public var localStorage: AnyObject? {
        get { localStorageObject }
        set {
            localStorageObject = newValue
            localStorageRaw.pointee = newValue.map { Unmanaged.passUnretained($0).toOpaque() }
        }
    }
    /// The object `localStorage` holds (retained). Same protection as `localStorage`.
    private var localStorageObject: AnyObject?
    /// Unretained mirror of `localStorage` in stable memory (allocated in init), for hot
    /// paths in other modules (`Processor.currentLocalStorageCell`): no ARC, no exclusivity
    /// check. Written only by the `localStorage` setter; valid while `localStorage` keeps
    /// the object alive. Same protection as `localStorage`.
    @usableFromInline let localStorageRaw: UnsafeMutablePointer<UnsafeMutableRawPointer?>

    init(id: Int) {
        self.id = id
        timers = TimerHeap(pid: id)
        runq = .allocate(capacity: Int(Processor.runqSize))
        runq.initialize(repeating: 0, count: Int(Processor.runqSize))
        localStorageRaw = .allocate(capacity: 1)
        localStorageRaw.initialize(to: nil)
    }

    deinit {
        runq.deallocate()
        localStorageRaw.deallocate()
    }

    /// Pushes the dead goroutine `g` on `gFree`. Owner only.
    @inline(__always)
    func gFreePush(_ g: GoroutineRef) {
        g.withGoroutine { $0.schedlink = gFree }
        gFree = g
        gFreeCount += 1
    }

    /// Pops the goroutine freed last from `gFree`. Owner only.
    @inline(__always)
    func gFreePop() -> GoroutineRef? {
        guard let g = gFree else { return nil }
        gFree = g.withGoroutine { g in
            defer { g.schedlink = nil }
            return g.schedlink
        }
        gFreeCount -= 1
        return g
    }

    var currentStatus: PStatus { PStatus(rawValue: status.load(ordering: .acquiring)) ?? .dead }

    @inline(__always)
    func casStatus(_ old: PStatus, _ new: PStatus) -> Bool {
        status.compareExchange(expected: old.rawValue, desired: new.rawValue,
                               ordering: .acquiringAndReleasing).exchanged
    }

    @inline(__always)
    func setStatus(_ s: PStatus) { status.store(s.rawValue, ordering: .releasing) }
}

/// Processor status (Go's _Pidle ... _Pdead).
public enum PStatus: UInt32, Sendable {
    case idle = 0, running = 1, syscall = 2, gcstop = 3, dead = 4
}
