import CContext
import Synchronization

// The goroutine object (Go's `g`) with every field's protection, and its status and
// wait-reason enums. What a goroutine does is in Goroutine+Run.swift; how it is named
// inside GMP is in GoroutineRef.swift.

/// A goroutine: a stackful coroutine scheduled by the GMP scheduler (Go's `g`, runtime2.go).
///
/// Each goroutine runs an ordinary synchronous Swift closure on its own mmap'd stack. It
/// runs until it reaches a *safe point* (any library call that can block, yield, allocate in
/// the managed heap or write a pointer) and the scheduler decides to switch, or until it
/// blocks on a channel, mutex, wait group, timer or blocking call.
///
/// Goroutine objects are owned by their scheduler (`Scheduler.allgs`, like Go's allgs) and
/// reused after they exit, so an identity held past a goroutine's exit may name a new one.
/// Inside GMP they travel as `GoroutineRef` (GoroutineRef.swift states the ownership rule).
public final class Goroutine: @unchecked Sendable {
    /// Goroutine id, unique within its scheduler (Go's goid). Written by `newGoroutine` when
    /// the goroutine is created or reused, before any other thread can see it; read freely.
    /// `@exclusivity(unchecked)`: that rule keeps writes apart from reads, and g0 reads it
    /// on every switch, where the dynamic check cost more than the read.
    @exclusivity(unchecked) public internal(set) var id: Int64 = 0

    /// Status word (Go's atomicstatus): a `GStatus`, plus `GStatus.scanBit` while a
    /// collector owns the stack. Changed through `casStatus` / `setStatus` / `leaveRunning`
    /// (and the scan-bit CAS of `Scheduler.withSuspended`); loads acquire, stores release,
    /// CASes both.
    let status = Atomic<UInt32>(GStatus.idle.rawValue)

    /// Saved registers and sanitizer/exclusivity state. Owned by the thread running the
    /// goroutine, or by whoever holds it on a queue while it is switched out.
    let context: UnsafeMutablePointer<tc_context>

    /// Its stack. Owned like `context`.
    var stack: Stack?

    /// The body to run. Set by `newGoroutine` before the goroutine is queued, cleared by the
    /// goroutine when it starts (and at exit and shutdown); the queue hand-off orders them.
    var body: (() throws -> Void)?

    /// The scheduler it belongs to, unretained: the scheduler owns its goroutines and
    /// outlives them. Immutable. Hot paths borrow it with `_withUnsafeGuaranteedRef` (no
    /// retain/release); `sched` is the convenient spelling for the rest.
    @usableFromInline let schedU: Unmanaged<Scheduler>
    var sched: Scheduler { @inline(__always) get { schedU.takeUnretainedValue() } }

    /// The M running it, while running, +0 (written and read by that M's thread: the M
    /// sets it before switching to the goroutine and clears it on g0 after).
    var mU: Unmanaged<Machine>?
    var m: Machine? { @inline(__always) get { mU?.takeUnretainedValue() } }

    /// The next goroutine on the global run queue (nil: last or not queued). Protected by
    /// the scheduler's `lock`, except while `runqputslow` links a batch it has taken out of
    /// a ring and no one else can see. A dead goroutine on its P's free list
    /// (`Processor.gFree`, as in Go's gList) is linked through it too, owned by that P.
    var schedlink: GoroutineRef? = nil

    /// Set by sysmon or the world-stopper; checked at safe points (relaxed: a hint that is
    /// re-checked under the scheduler's protocols).
    @usableFromInline let preempt = Atomic<Bool>(false)
    /// With `preempt`: park at the next safe point in `.preempted` rather than yield (used
    /// by `Scheduler.withSuspended` to stop exactly one goroutine). Stored release by the
    /// suspender, consumed by the goroutine's acquire-release exchange.
    let preemptStop = Atomic<Bool>(false)

    /// Why it is waiting (diagnostics, deadlock reports). Written by the goroutine itself
    /// before parking and after waking (reset by `newGoroutine`); read racily by
    /// `goroutineReport`, a diagnostic. `@exclusivity(unchecked)`: written on every park and
    /// spawn, and the only reader is that racy diagnostic.
    @exclusivity(unchecked) public internal(set) var waitReason: WaitReason = .none

    /// Select wake-up arbitration (Go's g.selectDone): 0 open, 1 taken. Acquire/release.
    let selectDone = Atomic<UInt32>(0)

    /// The runtime timer of `Goroutine.sleep` (Go's g.timer): made on the first sleep and
    /// kept when the object is reused (its action readies this object). Armed only by g0
    /// after this goroutine parked (`PendingAction.parkTimer`) and fired once, so it is
    /// never on a heap when the goroutine runs; its fields are protected as
    /// `RuntimeTimer` says.
    lazy var sleepTimer = RuntimeTimer(.ready(ref))

    // MARK: GC seams (GMP never interprets these)

    /// Per-goroutine root storage: word-sized slots a collector treats as this goroutine's
    /// stack roots. Written by the goroutine itself without synchronisation; read by a
    /// collector only while the goroutine is suspended (`Scheduler.withSuspended`) or the world
    /// is stopped. Lives at `rootsStorage` (stable memory), so it is addressed, not stored:
    /// no exclusivity check and no ARC on access.
    public var roots: RootStorage {
        @inline(__always) unsafeAddress { UnsafePointer(rootsStorage) }
        @inline(__always) unsafeMutableAddress { rootsStorage }
    }

    /// Where `roots` lives: allocated in init, freed in deinit, never moved, so a pointer
    /// to it stays valid for the goroutine object's life (across reuse, too). Same
    /// ownership rules as `roots`; `Goroutine.currentRoots` hands it out for hot paths.
    @usableFromInline let rootsStorage: UnsafeMutablePointer<RootStorage>

    /// A slot for a collector's per-goroutine state (for example "stack is grey" for the
    /// hybrid barrier). Same ownership rules as `roots`. `@exclusivity(unchecked)`: those
    /// rules are what keeps accesses apart, and the dynamic check would cost more than the
    /// access on the write barrier's path.
    @exclusivity(unchecked) public var collectorWord: UInt64 = 0

    /// A collector's per-goroutine allocation credit (Go's g.gcAssistBytes), in stable
    /// memory so the allocation fast path can charge it through
    /// `Goroutine.currentCreditCell` with neither a retain of the goroutine nor a dynamic
    /// exclusivity check. Read and written only by the goroutine itself, and by a collector
    /// that has it parked on its assist queue. Zeroed when the goroutine is created.
    @usableFromInline let creditStorage: UnsafeMutablePointer<CollectorCredit>

    /// `creditStorage.pointee.bytes`: negative = debt to pay with mark assists.
    public var collectorCredit: Int64 {
        @inline(__always) get { creditStorage.pointee.bytes }
        @inline(__always) set { creditStorage.pointee.bytes = newValue }
    }
    /// `creditStorage.pointee.cycle`: the cycle the credit belongs to.
    public var collectorCreditCycle: UInt64 {
        @inline(__always) get { creditStorage.pointee.cycle }
        @inline(__always) set { creditStorage.pointee.cycle = newValue }
    }

    /// A runtime-internal goroutine (sweeper, GC worker): listed apart in deadlock reports,
    /// as Go sets system goroutines apart, and skipped by a collector's per-goroutine work.
    /// Set by the parent in `go(prepare:)` before the goroutine can run (a collector starts
    /// its workers so), reset to false when a goroutine object is reused; read afterwards
    /// without synchronisation (the queue hand-off orders the write before any read).
    @exclusivity(unchecked) public var isSystem = false

    /// A slot for a collector's per-goroutine object (same ownership rules as `roots`).
    /// `@exclusivity(unchecked)` like `collectorWord`: spawn and exit test it every time.
    @exclusivity(unchecked) public var collectorData: AnyObject?

    init(sched: Scheduler) {
        self.schedU = Unmanaged.passUnretained(sched)
        context = .allocate(capacity: 1)
        context.initialize(to: tc_context())
        rootsStorage = .allocate(capacity: 1)
        rootsStorage.initialize(to: RootStorage())
        creditStorage = .allocate(capacity: 1)
        creditStorage.initialize(to: CollectorCredit())
    }

    deinit {
        tc_context_destroy(context)
        context.deinitialize(count: 1)
        context.deallocate()
        rootsStorage.pointee.deallocate()
        rootsStorage.deinitialize(count: 1)
        rootsStorage.deallocate()
        creditStorage.deallocate()
    }

    /// The status without the scan bit.
    public var currentStatus: GStatus {
        GStatus(rawValue: status.load(ordering: .acquiring) & ~GStatus.scanBit) ?? .idle
    }

    /// Atomically moves the status from `old` to `new`, waiting while a collector holds the
    /// scan bit (Go's casgstatus). `old` and `new` never carry the scan bit.
    @inline(__always)
    func casStatus(from old: GStatus, to new: GStatus) {
        var spins = 0
        while !status.compareExchange(expected: old.rawValue, desired: new.rawValue,
                                      ordering: .acquiringAndReleasing).exchanged {
            let cur = status.load(ordering: .acquiring)
            if cur & ~GStatus.scanBit != old.rawValue {
                fatal("casStatus: goroutine \(id) has status \(GStatus.describe(cur)), expected \(old)")
            }
            spins += 1
            if spins > 64 { tc_usleep(1) }
        }
    }

    @inline(__always)
    func setStatus(_ new: GStatus) { status.store(new.rawValue, ordering: .releasing) }

    /// `casStatus(from: .running, to: new)` for the thread running the goroutine (its M,
    /// on the goroutine or on g0 after the switch): a check and a release store, not a
    /// CAS. Nobody else writes the status of a running goroutine: `withSuspended` sets the
    /// scan bit only on one that is not running, and every other writer moves from a
    /// status other than `.running`, so its CAS fails until this store and the check
    /// cannot be raced. Go CASes here because its suspendG also marks running goroutines
    /// (_Gscanrunning); GMP asks a running goroutine to stop through `preempt` instead.
    @inline(__always)
    func leaveRunning(to new: GStatus) {
        let cur = status.load(ordering: .relaxed)
        if cur != GStatus.running.rawValue {
            fatal("leaveRunning: goroutine \(id) has status \(GStatus.describe(cur)), expected running")
        }
        status.store(new.rawValue, ordering: .releasing)
    }
}

/// Goroutine status (Go's _Gidle ... _Gpreempted, runtime2.go).
public enum GStatus: UInt32, Sendable, CustomStringConvertible {
    case idle = 0, runnable = 1, running = 2, syscall = 3, waiting = 4, dead = 6, preempted = 9

    /// Set while a collector scans the goroutine's roots (Go's _Gscan).
    public static let scanBit: UInt32 = 0x1000

    public var description: String {
        switch self {
        case .idle: "idle"
        case .runnable: "runnable"
        case .running: "running"
        case .syscall: "syscall"
        case .waiting: "waiting"
        case .dead: "dead"
        case .preempted: "preempted"
        }
    }

    static func describe(_ raw: UInt32) -> String {
        let base = GStatus(rawValue: raw & ~scanBit).map(\.description) ?? "bad(\(raw))"
        return raw & scanBit != 0 ? base + "+scan" : base
    }
}

/// Why a goroutine is waiting (Go's waitReason), shown in deadlock reports and traces.
public enum WaitReason: String, Sendable {
    case none = ""
    case chanSend = "chan send"
    case chanReceive = "chan receive"
    case chanSendNil = "chan send (nil chan)"
    case chanReceiveNil = "chan receive (nil chan)"
    case select = "select"
    case selectNoCases = "select (no cases)"
    case mutex = "sync.Mutex.Lock"
    case waitGroup = "sync.WaitGroup.Wait"
    case sleep = "sleep"
    /// Parked on a socket in the netpoller (Go's waitReasonIOWait).
    case ioWait = "IO wait"
    /// Waiting its turn for a socket's read or write lock (Go's fdMutex semaphore).
    case semacquire = "semacquire"
    case suspended = "suspended"
    case custom = "park"
    case gcSweepWait = "GC sweep wait"
    case forceGCIdle = "force gc (idle)"
    case gcWorkerIdle = "GC worker (idle)"
    case gcAssistWait = "GC assist wait"
    case finalizerWait = "finalizer wait"
}

/// A goroutine's allocation credit for a collector's mark assists (Go's g.gcAssistBytes)
/// and the cycle it belongs to: a plain struct in stable memory (`Goroutine.creditStorage`),
/// owned by its goroutine (see `Goroutine.collectorCredit`).
public struct CollectorCredit {
    /// Bytes the goroutine may still allocate before it assists; negative = debt.
    public var bytes: Int64 = 0
    /// The collector cycle `bytes` belongs to (a new cycle starts every credit at zero).
    public var cycle: UInt64 = 0
    public init() {}
}
