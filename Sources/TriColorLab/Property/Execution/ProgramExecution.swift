// The goroutines of one run: how each operation maps onto the mutator API.
//
// Each operation reads its Refs from slots or globals *after* its last safe point and
// stores its result straight into a slot, a global or a field, so no Ref outlives a safe
// point in a Swift local (the Ref-validity rule of TriColorRuntime+Mutator.swift):
//
//     .alloc(s)          rt[s] = rt.alloc(node)              alloc's safe point comes first
//     .allocInto(o, f)   let n = rt.alloc(node); rt.store(rt[o], f, n)
//     .receive(c, s)     withFrame { rt[s] = rt[ch.receive()] }   the receive pushes a slot
//     .spawn(k, s)       wg.add(1); rt.go(carrying: [rt[s]]) { run g_k; wg.done() }
//
// and after every operation the goroutine calls `Goroutine.safePoint()`, a decision point.
// Owned by one run; every method runs on a goroutine of that run's (single-M) scheduler.

import TriColor
import GMP

final class ProgramExecution: @unchecked Sendable {
    /// Not retained: a goroutine abandoned mid-operation (a failing run) never releases
    /// what its frames hold, and holding the runtime would leak its arena and stacks.
    unowned(unsafe) let rt: TriColorRuntime
    let program: MutatorProgram
    let node: ObjectType
    /// Counts goroutines that have not finished their operations.
    let wg = WaitGroup()
    /// Closed by main after the final cycle: goroutines hold their slots until then.
    let release = Channel<Int>()
    /// Counts goroutines that have not done their final root check.
    let exited = WaitGroup()
    var channels: [RefChannel] = []
    let trace: OperationTrace
    /// Where each operation declares its footprint (DPOR runs only).
    let footprints: FootprintLog?

    init(rt: TriColorRuntime, program: MutatorProgram, tracing: Bool, footprints: FootprintLog? = nil,
         deterministic: Bool = true) {
        safePointChoices = deterministic ? Array(repeating: [], count: program.threads.count) : nil
        self.rt = rt
        self.program = program
        node = rt.registerType(name: "Node", pointerFields: MutatorProgram.fields)
        trace = OperationTrace(enabled: tracing)
        self.footprints = footprints
    }

    /// `safePointChoices[k][j]`: the index in the replay string of the choice made at the
    /// safe point after goroutine k's operation j (nil: a forced decision, nothing
    /// recorded), for the operations that ran. Deterministic runs only (nil otherwise):
    /// then every goroutine runs on the one M, one at a time, so this needs no lock.
    var safePointChoices: [[Int?]]?

    /// The collector as the footprint log sees it (Footprint.swift).
    func probe() -> CollectorProbe { CollectorProbe(marking: rt.isMarking, cycle: rt.heap.cycle) }

    /// The main goroutine: build the heap, start the goroutines, wait, final cycle, check.
    func main() {
        if let log = footprints {
            log.probe = { [unowned self] in probe() }
            let sched = rt.scheduler
            log.spontaneousWakeups = { sched.deterministicSpontaneousWakeups }
            var setup = Footprint.buildingHeap
            setup.write(Footprint.waitGroups)
            log.begin(Goroutine.current!.id, setup)
            log.spawner = Goroutine.current!.id
        }
        let capacity = max(1, program.sendCount)
        channels = (0..<program.channelCount).map { _ in rt.makeChannel(capacity: capacity) }
        rt.withFrame {
            let objects = program.heap.indices.map { i in
                let s = rt.allocSlot(node)
                trace.name(rt[s], "o\(i)")
                return s
            }
            for (i, fields) in program.heap.enumerated() {
                for (f, t) in fields.enumerated() { if let t { rt.store(rt[objects[i]], f, rt[objects[t]]) } }
            }
            for (g, t) in program.globals.enumerated() { if let t { rt.setGlobal(g, rt[objects[t]]) } }
            for (k, t) in program.threads.enumerated() where !t.spawned {
                wg.add(1)
                let refs = t.slots.map { $0.map { rt[objects[$0]] } ?? .nil }
                exited.add(1)
                rt.go(carrying: refs) { [self] slots in runThread(k, slots) }
            }
        }
        // After the frame is popped: main's stack holds nothing, so the cycle sees the
        // objects only through the goroutines, the globals and the heap.
        footprints?.spawner = nil
        if program.gcAtStart {
            trace.event(rt, "main: start GC")
            // Starting a cycle creates a collector goroutine, maybe in the step that
            // created the program's last goroutines: that step is dependent on all.
            footprints?.also(.everything)
            rt.startCollection()
        }
        // From here until it releases the goroutines main waits for them and runs the
        // final cycle as its coordinator: the wait group, and what the collector reports.
        var waiting = Footprint.collectorLoops
        waiting.write(Footprint.waitGroups)
        footprints?.begin(Goroutine.current!.id, waiting, midStep: true)
        wg.wait()
        trace.event(rt, "main: all goroutines done (holding their slots); final full cycle")
        rt.collect()
        while rt.heap.sweepOne() {}
        footprints?.begin(Goroutine.current!.id, .everything)
        release.close()
        exited.wait()
        checkReachableFromGlobals()
    }

    /// Goroutine `k`: its operations; then it keeps its slots (roots) alive until main has
    /// run the final cycle, so a cycle in flight still sees them, and checks them once more.
    func runThread(_ k: Int, _ slots: [StackSlot]) {
        let me = "g\(k)"
        if trace.enabled, let g = Goroutine.current { trace.goroutineNames[g.id] = me }
        footprints?.register(Goroutine.current!.id, thread: k)
        for (j, op) in program.threads[k].ops.enumerated() {
            if let log = footprints { log.begin(Goroutine.current!.id, footprint(k, op, slots)) }
            checkRoots(me, slots)
            let before = trace.enabled ? trace.written(rt, me, op, slots) : nil
            perform(op, slots)
            if let log = footprints { log.also(allocated(op, slots)) }
            if trace.enabled {
                trace.op(rt, me, j, op, slots)
                trace.frame(rt, thread: k, index: j, op, before)
            }
            // The safe point's own decision is the first one made after this count.
            let choice = rt.scheduler.recordedChoices
            Goroutine.safePoint()
            if safePointChoices != nil { safePointChoices![k].append(rt.scheduler.recordedChoices > choice ? choice : nil) }
        }
        if let log = footprints {
            var fp = footprint(k, .yield, slots)
            fp.write(Footprint.waitGroups)
            log.begin(Goroutine.current!.id, fp)
        }
        wg.done()
        _ = release.receive()
        checkRoots(me, slots)
        exited.done()
    }

    func perform(_ op: MutatorOp, _ s: [StackSlot]) {
        switch op {
        case .alloc(let d):
            rt[s[d]] = rt.alloc(node)
            trace.newObject(rt[s[d]])
        case .allocInto(let o, let f):
            let n = rt.alloc(node)
            trace.newObject(n)
            let obj = rt[s[o]]
            if !obj.isNil { rt.store(obj, f, n) }
        case .store(let o, let f, let from):
            let obj = rt[s[o]]
            if !obj.isNil { rt.store(obj, f, rt[s[from]]) }
        case .clearField(let o, let f):
            let obj = rt[s[o]]
            if !obj.isNil { rt.store(obj, f, nil) }
        case .load(let d, let o, let f):
            let obj = rt[s[o]]
            rt[s[d]] = obj.isNil ? nil : rt.load(obj, f)
        case .take(let d, let o, let f):
            let obj = rt[s[o]]
            rt[s[d]] = obj.isNil ? nil : rt.load(obj, f)
            if !obj.isNil { rt.store(obj, f, nil) }
        case .put(let o, let f, let from):
            let obj = rt[s[o]]
            if !obj.isNil { rt.store(obj, f, rt[s[from]]) }
            rt[s[from]] = nil
        case .setGlobal(let g, let from): rt.setGlobal(g, rt[s[from]])
        case .clearGlobal(let g): rt.setGlobal(g, nil)
        case .loadGlobal(let d, let g): rt[s[d]] = rt.global(g)
        case .copy(let d, let from): rt[s[d]] = rt[s[from]]
        case .clear(let d): rt[s[d]] = nil
        case .send(let c, let from): channels[c].send(s[from])
        case .receive(let c, let d):
            rt.withFrame {
                if let got = channels[c].receive() { rt[s[d]] = rt[got] }
            }
        case .spawn(let child, let from):
            wg.add(1)
            exited.add(1)
            rt.go(carrying: [rt[s[from]], nil, nil]) { [self] slots in runThread(child, slots) }
        case .yield: Goroutine.yield()
        case .startGC: rt.startCollection()
        }
    }

    /// What operation `op` of goroutine `k` (with its root check) will touch, from what its
    /// slots hold now (Footprint.swift's essay).
    func footprint(_ k: Int, _ op: MutatorOp, _ s: [StackSlot]) -> Footprint {
        var fp = Footprint()
        for (i, slot) in s.enumerated() {
            fp.read(Footprint.slot(k, i))
            let r = rt[slot]
            if !r.isNil { fp.read(Footprint.header(r.offset)) }
        }
        for g in 0..<MutatorProgram.globals {
            fp.read(Footprint.global(g))
            let r = rt.global(g)
            if !r.isNil { fp.read(Footprint.header(r.offset)) }
        }
        func object(_ slot: Int) -> UInt64? { let r = rt[s[slot]]; return r.isNil ? nil : r.offset }
        func pointerWrite() { fp.read(Footprint.phase) }
        func allocation() {
            fp.write(Footprint.allocator)
            fp.read(Footprint.phase)
            if rt.isMarking { fp.write(Footprint.bookkeeping) }
        }
        switch op {
        case .spawn, .startGC: return .everything
        case .alloc(let d):
            allocation()
            fp.write(Footprint.slot(k, d))
        case .allocInto(let o, let f):
            allocation()
            if let x = object(o) { fp.write(Footprint.field(x, f)); pointerWrite() }
        case .store(let o, let f, _), .clearField(let o, let f):
            if let x = object(o) { fp.write(Footprint.field(x, f)); pointerWrite() }
        case .load(let d, let o, let f):
            if let x = object(o) { fp.read(Footprint.field(x, f)) }
            fp.write(Footprint.slot(k, d))
        case .take(let d, let o, let f):
            if let x = object(o) { fp.write(Footprint.field(x, f)); pointerWrite() }
            fp.write(Footprint.slot(k, d))
        case .put(let o, let f, let from):
            if let x = object(o) { fp.write(Footprint.field(x, f)); pointerWrite() }
            fp.write(Footprint.slot(k, from))
        case .setGlobal(let g, _), .clearGlobal(let g):
            fp.write(Footprint.global(g))
            pointerWrite()
        case .loadGlobal(let d, _), .copy(let d, _), .clear(let d):
            fp.write(Footprint.slot(k, d))
        case .send(let c, _):
            // The moved pointer is shaded while marking (reported by the collector).
            fp.write(Footprint.channel(c))
            fp.read(Footprint.phase)
        case .receive(let c, let d):
            fp.write(Footprint.channel(c))
            fp.write(Footprint.slot(k, d))
            fp.read(Footprint.phase)
        case .yield: break
        }
        return fp
    }

    /// What an allocating operation touched that is known only once it returned: the new
    /// object's header and colour (allocate-black). A goroutine still holding a freed
    /// object whose slot was reused reads that header in its root check.
    func allocated(_ op: MutatorOp, _ s: [StackSlot]) -> Footprint {
        var fp = Footprint()
        let r: Ref
        switch op {
        case .alloc(let d): r = rt[s[d]]
        case .allocInto(let o, let f):
            let obj = rt[s[o]]
            r = obj.isNil ? .nil : rt.load(obj, f)
        default: return fp
        }
        if !r.isNil {
            fp.write(Footprint.header(r.offset))
            fp.write(Footprint.colour(r.offset))
        }
        return fp
    }

    /// "No reachable object freed", before an operation: the goroutine's slots and the
    /// globals must hold live objects.
    func checkRoots(_ me: String, _ slots: [StackSlot]) {
        for (i, s) in slots.enumerated() {
            let r = rt[s]
            if !r.isNil, let m = rt.heap.validate(r) {
                let message = "GC: reachable object freed: \(me).s\(i) holds \(trace.label(r)): \(m) (collector \(rt.collectorKind))"
                Goroutine.panic(message)
            }
        }
        for g in 0..<MutatorProgram.globals {
            let r = rt.global(g)
            if !r.isNil, let m = rt.heap.validate(r) {
                let message = "GC: reachable object freed: G\(g) holds \(trace.label(r)): \(m) (collector \(rt.collectorKind))"
                Goroutine.panic(message)
            }
        }
    }

    /// "No reachable object freed", at the end: everything reachable from the globals.
    func checkReachableFromGlobals() {
        var seen = Set<UInt64>()
        var stack: [(Ref, String)] = []
        for g in 0..<MutatorProgram.globals where !rt.global(g).isNil { stack.append((rt.global(g), "G\(g)")) }
        while let (r, path) = stack.popLast() {
            guard seen.insert(r.offset).inserted else { continue }
            if let m = rt.heap.validate(r) {
                let message = "GC: reachable object freed: \(path) -> \(trace.label(r)): \(m) (collector \(rt.collectorKind))"
                Goroutine.panic(message)
            }
            for f in 0..<MutatorProgram.fields {
                let v = rt.load(r, f)
                if !v.isNil { stack.append((v, path + ".f\(f)")) }
            }
        }
    }
}
