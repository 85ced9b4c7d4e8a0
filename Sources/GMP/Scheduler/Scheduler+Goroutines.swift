import CContext
import Synchronization

// Goroutine creation and exit (Go's newproc1, gfget, gfput and goexit0, proc.go).
//
// A goroutine object is allocated once (`newG`, which records it in `allgs`: the +1 that
// keeps it alive, GoroutineRef.swift) and reused: at exit it goes, with its stack, to the
// free list of the P its M holds (`Processor.gFree`), which spills half to the global list
// (`gFreeGlobal`, under `allgLock`) past 64 and refills from it in batches of up to 32.
// Creating a goroutine takes one from the free lists when it can; ids come from a per-P
// batch of the global generator (Go's goidcache), stacks from a per-P stack cache refilled
// from the `StackPool` in batches of 16. A parent's P is borrowed throughout: the parent's
// M holds it for the whole call.

extension Scheduler {
    /// Creates a goroutine (Go's newproc1) and returns it, not yet on any queue and not yet
    /// runnable: until `publish` it keeps the idle or dead status a reused goroutine had, so
    /// a collector that meets it in `allgs` skips it while its parent fills in its roots
    /// (a scanner that read them then could see `RootStorage` grow under it).
    /// Runs on the parent goroutine, or on the thread calling `run` (`parent` nil).
    func newGoroutine(_ body: @escaping () throws -> Void, parent: Goroutine?) throws(SchedulerError) -> GoroutineRef {
        if goroutineCounts.wrappingAdd(1, ordering: .relaxed).newValue & Self.liveMask > config.maxGoroutines {
            goroutineCounts.wrappingSubtract(1, ordering: .relaxed)
            throw .resourceLimit("too many goroutines: limit is \(config.maxGoroutines) "
                + "(SchedulerConfig.maxGoroutines)")
        }
        // The parent's P (nil on the thread calling `run`). Borrowed: it is held by the
        // parent's M for the whole call.
        let pU = parent?.mU?._withUnsafeGuaranteedRef { $0.pU }
        let ref = pU?._withUnsafeGuaranteedRef { gfget($0) } ?? gfgetNoP()
        if ref.withGoroutine({ $0.stack == nil }) {
            do throws(SchedulerError) {
                let st: Stack
                if let pU {
                    st = try pU._withUnsafeGuaranteedRef { p in
                        Result { () throws(SchedulerError) -> Stack in
                            if p.stackCache.isEmpty { try stacks.get(batch: 16, into: &p.stackCache) }
                            return p.stackCache.removeLast()
                        }
                    }.get()
                } else {
                    st = try stacks.get()
                }
                ref.withGoroutine { $0.stack = st }
            } catch {
                goroutineCounts.wrappingSubtract(1, ordering: .relaxed)
                allgLock.withLock {
                    gFreeGlobal.append(ref)
                    gFreeGlobalCount.store(gFreeGlobal.count, ordering: .relaxed)
                }
                throw error
            }
        }
        ref.withGoroutine { gp in
            let id: Int64
            if let pU {
                id = pU._withUnsafeGuaranteedRef { p in
                    // Go's goidcache: ids come from the global generator in batches per P.
                    if p.goidCache == p.goidCacheEnd {
                        p.goidCache = goidGen.add(Processor.goidBatch, ordering: .relaxed).newValue
                            - Processor.goidBatch + 1
                        p.goidCacheEnd = p.goidCache + Processor.goidBatch
                    }
                    defer { p.goidCache += 1 }
                    return p.goidCache
                }
            } else {
                id = goidGen.add(1, ordering: .relaxed).newValue
            }
            gp.id = id
            gp.body = body
            gp.waitReason = .none
            gp.preempt.store(false, ordering: .relaxed)
            gp.preemptStop.store(false, ordering: .relaxed)
            gp.roots.reset(owner: id)
            gp.collectorWord = 0
            gp.collectorCredit = 0
            gp.collectorCreditCycle = 0
            gp.isSystem = false
            if gp.collectorData != nil { gp.collectorData = nil }
            let st = gp.stack.unsafelyUnwrapped
            // The new stack starts in `Goroutine.entry` with the goroutine's ref as argument
            // (a reused goroutine's context keeps its TSan fiber: switch.c).
            tc_context_init(gp.context, st.lo, st.size, { raw in
                GoroutineRef(raw: raw.unsafelyUnwrapped).withGoroutine { Goroutine.entry($0) }
            }, ref.raw)
        }
        return ref
    }

    /// Makes a goroutine from `newGoroutine` runnable, after its roots were filled in: the
    /// spawn hook colours it (a collector marks it black while marking), then the status
    /// store (release) publishes roots, colour and `isSystem` to whoever reads the status
    /// (acquire) before looking at them: the stack scanner, `withSuspended`, stop-the-world.
    func publish(_ ref: GoroutineRef, parent: Goroutine?) {
        ref.withGoroutine { gp in
            if let hook = hooks.onSpawn { hook(parent, gp) }
            if gp.isSystem { goroutineCounts.wrappingAdd(Self.systemUnit, ordering: .relaxed) }
            gp.setStatus(.runnable)
        }
        stats.goroutinesCreated.wrappingAdd(1, ordering: .relaxed)
    }

    /// A dead goroutine (with its stack) from `p`'s free list, refilled from the global one
    /// in batches (Go's gfget), or a new goroutine without a stack. Runs on the M holding `p`.
    private func gfget(_ p: Processor) -> GoroutineRef {
        if p.gFree == nil && gFreeGlobalCount.load(ordering: .relaxed) > 0 {
            allgLock.withLock {
                while p.gFreeCount < 32, let g = gFreeGlobal.popLast() { p.gFreePush(g) }
                gFreeGlobalCount.store(gFreeGlobal.count, ordering: .relaxed)
            }
        }
        if let g = p.gFreePop() { return g }
        return newG()
    }

    /// `gfget` without a P (the main goroutine).
    private func gfgetNoP() -> GoroutineRef {
        let g = allgLock.withLock { () -> GoroutineRef? in
            defer { gFreeGlobalCount.store(gFreeGlobal.count, ordering: .relaxed) }
            return gFreeGlobal.popLast()
        }
        return g ?? newG()
    }

    /// Allocates a goroutine and records it in `allgs`, which holds its +1 from now on.
    private func newG() -> GoroutineRef {
        let gp = Goroutine(sched: self)
        allgLock.withLock { allgs.append(gp) }
        return gp.ref
    }

    /// Finishes a goroutine on g0 (Go's goexit0): dead, caches it with its stack for reuse.
    func goexit0(_ g: Goroutine, _ m: Machine) {
        g.leaveRunning(to: .dead)
        g.body = nil
        if g.collectorData != nil { g.collectorData = nil }
        goroutineCounts.wrappingSubtract(g.isSystem ? 1 + Self.systemUnit : 1, ordering: .relaxed)
        if g.ref == mainG {
            beginShutdown()
            return
        }
        if let pU = m.pU {
            pU._withUnsafeGuaranteedRef { p in
                p.gFreePush(g.ref)
                if p.gFreeCount > 64 {
                    allgLock.withLock {
                        while p.gFreeCount > 32 { gFreeGlobal.append(p.gFreePop().unsafelyUnwrapped) }
                        gFreeGlobalCount.store(gFreeGlobal.count, ordering: .relaxed)
                    }
                }
            }
        } else {
            allgLock.withLock {
                gFreeGlobal.append(g.ref)
                gFreeGlobalCount.store(gFreeGlobal.count, ordering: .relaxed)
            }
        }
    }
}
