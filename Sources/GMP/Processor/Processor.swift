import CContext
import Synchronization

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
    /// 256 slots of unretained `Goroutine` references, accessed with relaxed atomics: the
    /// head/tail release/acquire pair orders them.
    let runq: UnsafeMutablePointer<UInt>
    static let runqSize: UInt32 = 256
    /// The goroutine readied by the current one, run next and inheriting the time slice.
    /// Owner stores; thieves CAS. 0 when empty.
    let runnext = Atomic<UInt>(0)

    /// Incremented every time a goroutine is scheduled (owner writes, sysmon reads: relaxed).
    let schedtick = Atomic<UInt32>(0)
    /// Incremented on every syscall (owner writes, sysmon reads: relaxed).
    let syscalltick = Atomic<UInt32>(0)

    /// Unretained bits of the goroutine running on this P (0 when none). Written by the
    /// owner M (relaxed); read by sysmon and the world-stopper to request preemption.
    let curgBits = Atomic<UInt>(0)

    /// The M holding this P (written under the hand-off protocol that moves the P).
    unowned(unsafe) var m: Machine?
    /// Idle-P list link; protected by the scheduler lock.
    unowned(unsafe) var link: Processor?

    /// Dead goroutines ready for reuse, with their stacks, as unretained bits
    /// (`Scheduler.allgs` keeps them alive); owner only.
    var gFree: [UInt] = []
    /// Goroutine ids reserved for this P, `goidCache..<goidCacheEnd` (Go's goidcache);
    /// owner only.
    var goidCache: Int64 = 0
    var goidCacheEnd: Int64 = 0
    static let goidBatch: Int64 = 16
    /// Cached free stacks (owner only).
    var stackCache: [Stack] = []

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
        runq = .allocate(capacity: Int(Processor.runqSize))
        runq.initialize(repeating: 0, count: Int(Processor.runqSize))
        localStorageRaw = .allocate(capacity: 1)
        localStorageRaw.initialize(to: nil)
    }

    deinit {
        runq.deallocate()
        localStorageRaw.deallocate()
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
