// TriColorRuntime: the one entry point that owns a scheduler, a heap and a collector.
//
// A program runs as goroutines on the runtime's scheduler and reaches the heap only
// through the runtime's mutator API (TriColorRuntime+Mutator.swift), which is where the pacer
// triggers cycles, the write barrier runs and safe points happen. The runtime also starts
// two system goroutines: the background sweeper (Go's bgsweep) and the forced-GC helper
// (Go's forcegchelper, woken by sysmon after two minutes without a cycle).

import CContext
import Foundation
import GMP
import Synchronization

/// A managed heap with a garbage collector, running beside a GMP scheduler.
///
/// ```swift
/// let rt = try TriColorRuntime(RuntimeConfig())
/// let node = rt.registerType(name: "Node", pointerFields: 2)
/// try rt.run {
///     let root = rt.allocSlot(node)            // allocated and held in a stack slot
///     rt.store(rt[root], 0, rt.alloc(node))    // child reachable through root
///     rt.collect()
/// }
/// ```
public final class TriColorRuntime: @unchecked Sendable {
    public let config: RuntimeConfig
    public let heap: Heap
    public let scheduler: Scheduler
    let pacer: Pacer
    let recorder = GCStatsRecorder()
    let eventLog: EventLog
    /// Every P's mark work, registered when the P first uses the heap: lets the coordinator
    /// read the local-work hints without touching `Processor.localStorage`, which the P's
    /// own thread writes on first use.
    let registeredWork = RegisteredWork()
    /// GC processor time by kind, measured where it is spent (GCCPU.swift).
    let cpu = GCCPUCounters()
    /// Go's GC CPU limiter; updated from sysmon's tick.
    let cpuLimiter: GCCPULimiter
    /// The collector; set once in init.
    private(set) var collector: Collector!
    /// The same object when it is a concurrent collector (reached while marking for
    /// allocate-black, assists and moved pointers); set once in init. Unowned(unsafe), as is
    /// the barrier's mark engine below: `collector` and `barrier` keep both alive for the
    /// runtime's life, and the per-allocation paths while marking reach them without a
    /// retain and release each time.
    private(set) unowned(unsafe) var concurrent: ConcurrentCollector?
    unowned(unsafe) let markEngine: MarkEngine
    /// The collector's write barrier, with its plan and mark engine (Barrier/).
    let barrier: WriteBarrier
    /// The collector is markSweep: the pacer's trigger collects on the allocating goroutine
    /// (set in init; a Bool so that `alloc` never compares `CollectorKind`s, whose names
    /// are Strings).
    let collectsOnTrigger: Bool
    /// A concurrent collector whose plan allocates black (set in init): `alloc` colours new
    /// objects while marking without reaching the collector through a protocol.
    let allocatesBlack: Bool
    /// Set while a concurrent mark is in progress (relaxed; flipped with the world
    /// stopped): allocation then colours new objects (allocate-black) and pays assists.
    let marking = Atomic<Bool>(false)
    /// One cycle at a time (Go's work.startSema); parks goroutines, not threads.
    let cycleLock = GoMutex()
    /// Cycles started (relaxed); lets a waiter see that someone else collected.
    let cyclesStarted = Atomic<Int>(0)
    /// nanotime at the end of the last cycle (relaxed), for the forced GC.
    let lastCycleEnd = Atomic<Int64>(0)
    /// nanotime when run() started.
    private(set) var startTime: Int64 = 0

    let sweepParker = Parker(reason: .gcSweepWait)
    let forceGCParker = Parker(reason: .forceGCIdle)
    let forceGCPending = Atomic<Bool>(false)
    /// A background (pacer-triggered) cycle is running or about to (relaxed flag, CAS).
    let backgroundCycle = Atomic<Bool>(false)

    /// Where idle mark workers wait for an idle P (set in `run`).
    private(set) var idleSpots: [ParkingSpot] = []
    /// Root words owned by the runtime (RefChannel buffers, the finalizer queue).
    let extraRoots: RootAreas
    /// Weak references (WeakRefs.swift).
    let weakRefs = WeakTable()
    /// Finalizers and the objects queued for them (Finalizers.swift).
    let finalizers: FinalizerTable

    /// Creates the heap (reserving its arena) and the scheduler. Nothing runs until `run`.
    /// - Throws: `HeapError` if the arena cannot be reserved, or `.invalidConfiguration` for
    ///   `checkLevel = .full` on more than one P on real threads (see `CheckLevel.full`).
    public init(_ config: RuntimeConfig = .fromEnvironment()) throws(HeapError) {
        if config.checkLevel == .full && config.scheduler.deterministic == nil && config.scheduler.procs > 1 {
            throw .invalidConfiguration(
                "checkLevel .full with procs = \(config.scheduler.procs) on real threads: the full checks walk the "
                + "heap after every barrier and scan step, and goroutines on the other Ps would mutate it under "
                + "the walk (violations that are not there). Use .full with procs = 1 or a deterministic "
                + "scheduler (SchedulerConfig.deterministic(seed:)), or .cheap (checkmark every cycle) on more Ps")
        }
        self.config = config
        let areas = RootAreas()
        extraRoots = areas
        finalizers = FinalizerTable(roots: areas)
        var hc = HeapConfiguration()
        hc.arenaBytes = config.arenaBytes
        hc.limitBytes = config.heapLimit
        hc.globalCount = config.globals
        hc.checked = config.checkLevel >= .cheap
        heap = try Heap(configuration: hc)
        eventLog = EventLog(enabled: config.recordEvents || config.traceGoroutines)
        if eventLog.enabled {
            let log = eventLog
            heap.sweepObserver = { s, e in
                log.record(GCEvent(kind: .sweep, name: "sweep", start: s, end: e, p: Processor.current?.id ?? -1))
            }
        }
        scheduler = Scheduler(config.scheduler)
        cpuLimiter = GCCPULimiter(procs: scheduler.procs, now: nanotime())
        pacer = Pacer(gogc: config.gogc, minimumGoal: config.minimumHeapGoal, concurrent: config.collector != .markSweep,
                      memoryLimit: config.memoryLimit)
        let plan = config.collector.plan
        let engine = MarkEngine(heap: heap, markers: .forRuntime(stopTheWorld: config.collector == .markSweep,
                                                                 procs: scheduler.procs))
        let checker = config.checkLevel >= .full && config.collector != .markSweep
            ? InvariantChecker(heap: heap, engine: engine, invariant: plan.invariant, collector: config.collector) : nil
        barrier = WriteBarrier(plan: plan, engine: engine, checker: checker)
        markEngine = engine
        collectsOnTrigger = config.collector == .markSweep
        allocatesBlack = config.collector != .markSweep && plan.allocateBlack
        if config.collector == .markSweep {
            collector = MarkSweepCollector(runtime: self)
        } else {
            let cc = ConcurrentCollector(runtime: self, kind: config.collector)
            concurrent = cc
            collector = cc
        }
    }

    /// The collector in use.
    public var collectorKind: CollectorKind { collector.kind }

    /// Registers an object type with the heap.
    public func registerType(name: String, pointerFields: Int, scalarBytes: Int = 0) -> ObjectType {
        heap.registerType(name: name, pointerFields: pointerFields, scalarBytes: scalarBytes)
    }

    /// Registers an array type: one type for pointer arrays of every length (`allocArray`).
    public func registerArrayType(name: String, scalarBytes: Int = 0) -> ObjectType {
        heap.registerArrayType(name: name, scalarBytes: scalarBytes)
    }

    /// Runs `main` as the main goroutine (with the runtime's system goroutines beside it)
    /// and returns when it returns. Throws like `Scheduler.run`; a heap limit that a GC
    /// cannot relieve is a `.panic` naming the limit and the live size.
    public func run(_ main: @Sendable @escaping () throws -> Void) throws(SchedulerError) {
        startTime = nanotime()
        lastCycleEnd.store(startTime, ordering: .relaxed)
        let period = config.forcedGCPeriodNS
        scheduler.hooks.sysmonTick = { [unowned self] now in
            self.cpuLimiter.update(now: now, gcTotalNS: self.gcCPUTotalNS)
            if now - self.lastCycleEnd.load(ordering: .relaxed) > period,
               !self.forceGCPending.exchange(true, ordering: .relaxed) {
                self.forceGCParker.unpark()
            }
        }
        if config.traceGoroutines {
            let log = eventLog
            scheduler.hooks.onRunSlice = { g, p, s, e in
                log.record(GCEvent(kind: .run, name: "G\(g)", start: s, end: e, p: p, goroutine: g))
            }
        }
        if let cc = concurrent, config.scheduler.deterministic == nil {
            let spots = (0..<config.scheduler.procs).map { _ in ParkingSpot(reason: .gcWorkerIdle) }
            idleSpots = spots
            scheduler.hooks.onIdle = { [unowned cc] p in
                guard cc.hasIdleWork(on: p) else { return nil }
                for s in spots { if let g = s.claim() { return g } }
                return nil
            }
        }
        scheduler.hooks.onSpawn = { [unowned self] _, child in
            // A goroutine created while marking starts with an empty stack: black.
            if self.marking.load(ordering: .relaxed), let cc = self.concurrent {
                cc.markNewGoroutineBlack(child)
            }
        }
        try scheduler.run { [unowned self] in
            // System goroutines are marked by the parent before they can run (the stack
            // scanner reads the flag from another thread).
            let system: (Goroutine) -> Void = { $0.isSystem = true }
            // Borrowed, not retained: the sweeper, the forced-GC helper and the idle workers
            // park forever and are abandoned when main returns; a retain held by one of
            // their frames would leak the whole runtime (and its arena).
            let me = Unmanaged.passUnretained(self)
            GMP.go(prepare: system) { me._withUnsafeGuaranteedRef { $0.backgroundSweeper() } }
            if scheduler.config.deterministic == nil {
                GMP.go(prepare: system) { me._withUnsafeGuaranteedRef { $0.forcedGCHelper() } }
                if let cc = concurrent {
                    let borrowed = Unmanaged.passUnretained(cc)
                    for spot in idleSpots {
                        GMP.go(prepare: system) { borrowed._withUnsafeGuaranteedRef { $0.idleWorker(spot) } }
                    }
                }
            }
            try main()
            // A background cycle still running when main returns is finished first, so the
            // heap is left between cycles (consistent for `verify()` and statistics).
            if self.backgroundCycle.load(ordering: .acquiring) {
                self.cycleLock.lock()
                self.cycleLock.unlock()
            }
        }
    }

    // MARK: Cycles

    /// Runs a full collection and returns when it is complete, sweep included (Go's
    /// `runtime.GC()`): afterwards `stats.heap.objectsFreed` counts everything the cycle
    /// found dead. Must be called from a goroutine of this runtime.
    public func collect() {
        startCycle(reason: .explicit, onlyIfStillNeeded: false)
        // Go's runtime.GC sweeps on the caller, then waits for spans other sweepers hold.
        sweepBeforeCycle()
        while !heap.isSweepDone {
            if !heap.sweepOne() { Goroutine.yield() }
        }
    }

    /// Starts a collection without waiting for it: a concurrent collector's cycle runs on a
    /// background coordinator goroutine (interleaving with the caller and every other
    /// goroutine); markSweep collects right away. Does nothing if a background cycle is
    /// already running. Must be called from a goroutine of this runtime.
    public func startCollection() {
        if collector.kind == .markSweep {
            startCycle(reason: .explicit, onlyIfStillNeeded: false)
            return
        }
        triggerCycle(reason: .explicit)
    }

    /// Whether a mark is in progress (write barrier on, allocating black).
    public var isMarking: Bool { marking.load(ordering: .relaxed) }

    /// The pacer's trigger fired. markSweep collects right here (the allocating goroutine
    /// stops the world); a concurrent collector's cycle runs on a background coordinator
    /// goroutine while this one goes on allocating (and assisting).
    /// While a background cycle runs, every allocation past the trigger lands here: one
    /// relaxed load turns it away before the exchange (a locked read-modify-write).
    func triggerCycle(reason: GCReason = .heap) {
        if collectsOnTrigger {
            startCycle(reason: .heap, onlyIfStillNeeded: true)
            return
        }
        if backgroundCycle.load(ordering: .relaxed) {
            // A coordinator past its mark (finishing its cycle's bookkeeping) still holds the
            // flag. Go starts the next cycle as soon as the phase is off; here the heap is
            // already past the new trigger, so let that coordinator finish now: at P = 1 it
            // would otherwise wait for sysmon to preempt this goroutine (10 ms), and the heap
            // ran to 2-6x its goal meanwhile (binary-trees, gcbench). While marking, nothing.
            if !marking.load(ordering: .relaxed) { Goroutine.yield() }
            return
        }
        if backgroundCycle.exchange(true, ordering: .acquiringAndReleasing) { return }
        // Borrowed, not retained: a coordinator abandoned mid-cycle (a GC failure stops the
        // program) must not keep the runtime alive.
        let me = Unmanaged.passUnretained(self)
        GMP.go(prepare: { $0.isSystem = true }) {
            me._withUnsafeGuaranteedRef { rt in
                rt.startCycle(reason: reason, onlyIfStillNeeded: false)
                rt.backgroundCycle.store(false, ordering: .releasing)
            }
        }
        // Let the coordinator (in runnext) start the cycle now rather than after this
        // goroutine's time slice.
        Goroutine.yield()
    }

    /// Starts a cycle unless (with `onlyIfStillNeeded`) another goroutine already ran one
    /// while this one waited.
    func startCycle(reason: GCReason, onlyIfStillNeeded: Bool) {
        let seen = cyclesStarted.load(ordering: .relaxed)
        cycleLock.lock()
        defer { cycleLock.unlock() }
        if onlyIfStillNeeded && cyclesStarted.load(ordering: .relaxed) != seen { return }
        cyclesStarted.add(1, ordering: .relaxed)
        let before = cpu.snapshot(sweepNS: 0)
        var record = collector.runCycle(reason: reason)
        let end = nanotime()
        let after = cpu.snapshot(sweepNS: 0)
        record.assistCPUNS = after.assistNS - before.assistNS
        record.backgroundCPUNS = after.backgroundNS - before.backgroundNS
        record.idleCPUNS = after.idleNS - before.idleNS
        cpu.stw.add(record.pauses.reduce(0, +) * Int64(scheduler.procs), ordering: .relaxed)
        lastCycleEnd.store(end, ordering: .relaxed)
        forceGCPending.store(false, ordering: .relaxed)
        recorder.add(record)
        eventLog.record(GCEvent(kind: .cycle, name: "GC \(record.cycle) (\(record.reason.rawValue))",
                                start: record.start, end: end))
        if config.gctrace {
            let machineNS = max(1, end - startTime) * Int64(scheduler.procs)
            tc_write_stderr(gctraceLine(record, sinceStartNS: record.start - startTime,
                                        gcFraction: Double(gcCPUTotalNS) / Double(machineNS)) + "\n")
        }
        sweepParker.unpark()
        wakeFinalizers()
    }

    /// Finishes the previous cycle's sweep concurrently, before the next cycle stops the
    /// world (Go's gcStart: "pick up the remaining unswept spans concurrently"), so sweep
    /// termination has (almost) nothing left to sweep inside its pause.
    func sweepBeforeCycle() {
        var n = 0
        while heap.sweepOne() {
            n += 1
            if n % 16 == 0 { Goroutine.safePoint() }
        }
    }

    /// Go's bgsweep: sweeps spans one at a time, yielding between them, after each cycle.
    private func backgroundSweeper() {
        while true {
            sweepParker.park()
            while heap.sweepOne() { Goroutine.yield() }
        }
    }

    /// Go's forcegchelper: parked until sysmon sees no cycle for the forced-GC period.
    private func forcedGCHelper() {
        while true {
            forceGCParker.park()
            startCycle(reason: .forced, onlyIfStillNeeded: false)
        }
    }

    /// Allocation during a concurrent mark: allocate-black if the plan says so, counted on
    /// this P. No safe point: the caller still holds the new Ref only in a local. Off the
    /// fast path.
    @inline(never)
    func allocatedWhileMarking(_ r: Ref, _ type: ObjectType) {
        guard allocatesBlack else { return }
        withPerP { markEngine.markAllocatedBlack(r, size: type.size, on: $0.gcw) }
    }

    /// GC processor time so far, every kind (ns of CPU).
    var gcCPUTotalNS: Int64 {
        cpu.concurrentNS + cpu.stw.load(ordering: .relaxed) + Int64(heap.stats.totalSweepNanos)
    }

    /// Charges `ns` of GC processor time of `kind`, spent on the current P between `start`
    /// and `end` (nanotime), and records it as a slice on that P's track.
    func chargeGC(_ kind: GCCPUKind, ns: Int64, start: Int64, end: Int64) {
        cpu.add(kind, ns)
        eventLog.record(GCEvent(kind: kind == .assist ? .assist : .worker, name: kind.rawValue, start: start,
                                end: end, p: Processor.current?.id ?? -1, goroutine: Goroutine.current?.id ?? 0))
    }

    /// A mark assist before an allocation while marking (may reach safe points). Inline:
    /// its fast path is one credit check (ConcurrentCollector.assist).
    @inline(__always)
    func assistBeforeAlloc(_ size: Int) {
        concurrent?.assist(bytes: size)
    }

    // MARK: Statistics

    /// The recorded events (empty unless `RuntimeConfig.recordEvents`), oldest first.
    public var events: [GCEvent] { eventLog.snapshot }

    /// A snapshot of the collector statistics.
    public var stats: GCStats { recorder.snapshot(heap: heap, goal: pacer.goal.load(ordering: .relaxed), cpu: cpu) }
}
