// Generating random mutator programs from a seed.
//
// The generator draws, from one SplitMix64 stream seeded by the caller:
//   1. an initial heap of 2...maxObjects objects, each field pointing to a random object
//      with probability 2/5 (so shapes include chains, diamonds, cycles and garbage);
//   2. globals (each set with probability 1/3) and every top-level goroutine's initial
//      slots (each set with probability 2/3): the roots. Globals are sparse on purpose:
//      the marker drains everything reachable from the globals as soon as a worker runs,
//      while objects known only to stacks stay grey until the stacks are scanned, which
//      is where the barriers are tested;
//   3. whether main starts a background cycle as soon as the goroutines are started;
//   4. for goroutine k = 0, 1, ...: `ops` operations. Half come as *moves*, the shapes
//      that hide an object from a concurrent marker (Wilson's lost object, the four cases
//      of proposal 17503): take a pointer into a stack slot and delete it from the heap
//      (`s1 = s0.f0; s0.f0 = nil`, or `.take` doing both in one step), or from a global;
//      store a stack's pointer into the heap or a global and drop it from the stack
//      (`s0.f1 = s2; s2 = nil`, or `.put`); move a pointer between heap objects; allocate
//      and link. The rest come from a weighted table of
//      single operations, plus `startGC` so cycles begin at arbitrary points.
//      Operations are aimed: a shadow run of the goroutine alone (its own slots over a
//      private copy of the heap and globals, ignoring the other goroutines) tells which
//      slots and fields are probably non-nil, and operands are drawn mostly from those,
//      so few operations are no-ops on nil. The shadow only steers the choice; every
//      operation is still well-formed whatever the real interleaving does.
//
// `GeneratorBias.barrier` (`tricolor check --generator barrier`) aims at the barriers: the
// initial heap is a chain (o0 -> o1 -> ..., plus a few random links) of `maxObjects`
// objects, so an object deep in it stays unscanned for several drain rounds; globals are
// rare (the marker drains what they reach at once; keeping them at the uniform rate, to
// give the insertion half's bugs black targets, measured worse) and a cycle always starts
// with the goroutines; three quarters of the draws are barrier moves (`barrierMove`): pointers
// taken from the heap into a stack slot with their field overwritten, or put from a stack
// into the heap and dropped from the stack, with fresh `startGC`s between them so stack
// scans interleave with the moves; and (a sixth of the barrier moves) the grey-stack
// insertion (`greyStackInsertion`): a new object while no mark runs, a hand-off of the P
// (`startGC` or `yield`), a second new object, and the first put into the second. PCT runs
// the highest-priority goroutine until it hands the P on, so a goroutine that hands it on
// between the two allocations lets a coordinator next in line begin the mark, and may take
// the P back at one of the coordinator's safe points before its own stack is scanned: then
// the white object goes into a black one from a grey stack, which only the hybrid's
// insertion half stops. Before this move PCT with the barrier mix never caught that
// ablation in 1,000 seeds; with it, 19 times (PAPER 4.7). The uniform mix draws exactly what
// it always drew.
//
// Channels without deadlock: channel c is received only by top-level goroutine c, and only
// goroutines with a smaller index (and their spawned children) send on it. Every channel
// holds all of the program's sends, so no send blocks; goroutine 0 never waits; goroutine
// k waits only for sends of goroutines < k, which by induction all happen. Goroutine k
// receives exactly as many messages as were sent to it, at random positions.
//
// Spawning: a top-level goroutine may `spawn` a child (at most `maxChildren` in a program)
// whose own operations are generated at once (half as many; children neither spawn nor
// receive). Children are placed after every top-level goroutine in `threads`, as
// `MutatorProgram` requires.
//
// Same seed and shape, same program, on any machine.

import TriColor
import GMP

/// The size of generated programs.
public struct ProgramShape: Hashable, Sendable {
    /// Top-level goroutines (spawned children come on top).
    public var goroutines: Int
    /// Operations per top-level goroutine (children get half).
    public var ops: Int
    /// At most this many objects in the initial heap (at least 2).
    public var maxObjects: Int
    /// At most this many spawned goroutines per program.
    public var maxChildren: Int

    /// Which mix of operations the generator draws.
    public var bias: GeneratorBias

    public init(goroutines: Int = 3, ops: Int = 12, maxObjects: Int = 5, maxChildren: Int = 2, bias: GeneratorBias = .uniform) {
        self.goroutines = goroutines
        self.ops = ops
        self.maxObjects = maxObjects
        self.maxChildren = maxChildren
        self.bias = bias
    }
}

/// The generator's mix of operations (see the essay above).
public enum GeneratorBias: String, CaseIterable, Hashable, Sendable {
    /// The general mix.
    case uniform
    /// Biased toward the patterns that expose barrier bugs.
    case barrier
}

/// Draws random well-formed mutator programs (see the essay above).
public struct ProgramGenerator {
    public let shape: ProgramShape
    var rng: SplitMix64

    public init(seed: UInt64, shape: ProgramShape) {
        self.shape = shape
        rng = SplitMix64(seed: seed ^ 0x7F4A_7C15_9E37_79B9)
    }

    /// The program for `seed` and `shape`.
    public static func program(seed: UInt64, shape: ProgramShape) -> MutatorProgram {
        var g = ProgramGenerator(seed: seed, shape: shape)
        return g.next()
    }


    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(rng.next() % UInt64(n)) }
    mutating func chance(_ num: Int, _ den: Int) -> Bool { below(den) < num }

    /// A goroutine's private view while its operations are drawn (object ids: initial
    /// objects, then one per allocation).
    struct Shadow {
        var heap: [[Int?]]
        var globals: [Int?]
        var slots: [Int?]

        mutating func apply(_ op: MutatorOp) {
            switch op {
            case .alloc(let d): slots[d] = newObject()
            case .allocInto(let o, let f):
                let n = newObject()
                if let x = slots[o] { heap[x][f] = n }
            case .store(let o, let f, let s): if let x = slots[o] { heap[x][f] = slots[s] }
            case .clearField(let o, let f): if let x = slots[o] { heap[x][f] = nil }
            case .load(let d, let o, let f): slots[d] = slots[o].flatMap { heap[$0][f] }
            case .take(let d, let o, let f):
                let v = slots[o].flatMap { heap[$0][f] }
                if let x = slots[o] { heap[x][f] = nil }
                slots[d] = v
            case .put(let o, let f, let s):
                if let x = slots[o] { heap[x][f] = slots[s] }
                slots[s] = nil
            case .setGlobal(let g, let s): globals[g] = slots[s]
            case .clearGlobal(let g): globals[g] = nil
            case .loadGlobal(let d, let g): slots[d] = globals[g]
            case .copy(let d, let s): slots[d] = slots[s]
            case .clear(let d): slots[d] = nil
            case .receive(_, let d): slots[d] = heap.count > 0 ? 0 : nil   // something arrives
            case .send, .spawn, .yield, .startGC: break
            }
        }

        mutating func newObject() -> Int {
            heap.append(Array(repeating: nil, count: MutatorProgram.fields))
            return heap.count - 1
        }
    }

    /// A slot that is (probably) non-nil, most of the time; any slot otherwise.
    mutating func fullSlot(_ sh: Shadow) -> Int {
        let full = sh.slots.indices.filter { sh.slots[$0] != nil }
        if !full.isEmpty && !chance(1, 8) { return full[below(full.count)] }
        return below(MutatorProgram.slots)
    }

    /// A slot that is nil if there is one (so a load does not overwrite a root), else any.
    mutating func emptySlot(_ sh: Shadow) -> Int {
        let empty = sh.slots.indices.filter { sh.slots[$0] == nil }
        if !empty.isEmpty && !chance(1, 4) { return empty[below(empty.count)] }
        return below(MutatorProgram.slots)
    }

    /// A field of `s[o]` that is non-nil if there is one.
    mutating func fullField(_ sh: Shadow, _ o: Int) -> Int {
        if let x = sh.slots[o] {
            let full = (0..<MutatorProgram.fields).filter { sh.heap[x][$0] != nil }
            if !full.isEmpty && !chance(1, 6) { return full[below(full.count)] }
        }
        return below(MutatorProgram.fields)
    }

    mutating func fullGlobal(_ sh: Shadow) -> Int {
        let full = sh.globals.indices.filter { sh.globals[$0] != nil }
        if !full.isEmpty && !chance(1, 6) { return full[below(full.count)] }
        return below(MutatorProgram.globals)
    }

    /// Draws the next program.
    public mutating func next() -> MutatorProgram {
        let barrier = shape.bias == .barrier
        let objects = barrier ? max(2, shape.maxObjects) : 2 + below(max(1, shape.maxObjects - 1))
        var heap: [[Int?]] = []
        for o in 0..<objects {
            if barrier {
                // Chains: field 0 links to the next object, so objects sit several drain
                // rounds away from the roots.
                heap.append([o + 1 < objects && chance(3, 4) ? o + 1 : nil, chance(1, 3) ? below(objects) : nil])
            } else {
                heap.append((0..<MutatorProgram.fields).map { _ in chance(2, 5) ? below(objects) : nil })
            }
        }
        let globals: [Int?] = (0..<MutatorProgram.globals).map { _ in chance(1, barrier ? 8 : 3) ? below(objects) : nil }
        let gcAtStart = barrier || chance(1, 2)
        let n = max(1, shape.goroutines)
        var top: [MutatorProgram.Thread] = []
        var children: [MutatorProgram.Thread] = []
        var pending = Array(repeating: 0, count: n)   // sends to channel c so far
        for k in 0..<n {
            let slots: [Int?] = (0..<MutatorProgram.slots).map { _ in chance(2, 3) ? below(objects) : nil }
            var sh = Shadow(heap: heap, globals: globals, slots: slots)
            let receives = pending[k]
            let budget = max(0, shape.ops - receives)
            var receiveAt = Set<Int>()
            while receiveAt.count < min(receives, shape.ops) { receiveAt.insert(below(shape.ops)) }
            var extraReceives = receives - receiveAt.count
            var ops: [MutatorOp] = []
            while ops.count < budget + receives - extraReceives {
                if receiveAt.contains(ops.count) {
                    let op = MutatorOp.receive(channel: k, slot: emptySlot(sh))
                    sh.apply(op)
                    ops.append(op)
                    continue
                }
                for var op in draw(&sh, canSendTo: (k + 1)..<n) {
                    if case .spawn(_, let from) = op {
                        if children.count < shape.maxChildren {
                            let child = n + children.count
                            var csh = Shadow(heap: sh.heap, globals: sh.globals, slots: [sh.slots[from], nil, nil])
                            var cops: [MutatorOp] = []
                            while cops.count < max(1, shape.ops / 2) {
                                for c in draw(&csh, canSendTo: (k + 1)..<n, spawning: false) {
                                    if case .send(let ch, _) = c { pending[ch] += 1 }
                                    cops.append(c)
                                }
                            }
                            children.append(MutatorProgram.Thread(spawned: true, ops: cops))
                            op = .spawn(child: child, from: from)
                        } else {
                            op = .yield
                        }
                    }
                    if case .send(let ch, _) = op { pending[ch] += 1 }
                    ops.append(op)
                }
            }
            while extraReceives > 0 {
                ops.append(.receive(channel: k, slot: emptySlot(sh)))
                extraReceives -= 1
            }
            top.append(MutatorProgram.Thread(slots: slots, ops: ops))
        }
        return MutatorProgram(heap: heap, globals: globals, gcAtStart: gcAtStart, threads: top + children)
    }

    /// One or two operations (a move or a single op), applied to the shadow. `.spawn` comes
    /// back with child 0 for the caller to fill in; `.send` only to channels in `canSendTo`.
    mutating func draw(_ sh: inout Shadow, canSendTo: Range<Int>, spawning: Bool = true) -> [MutatorOp] {
        var ops: [MutatorOp]
        if shape.bias == .barrier && chance(3, 4) {
            ops = barrierMove(sh)
        } else if chance(1, 2) {
            ops = move(sh)
        } else {
            ops = [single(sh, canSendTo: canSendTo, spawning: spawning)]
        }
        for op in ops { sh.apply(op) }
        return ops
    }

    /// A two-operation move that hides a pointer from the marker if a cycle is running.
    mutating func move(_ sh: Shadow) -> [MutatorOp] {
        let s = MutatorProgram.slots
        switch below(8) {
        case 6:  // the heap drops what a stack takes, in one step
            let o = fullSlot(sh)
            return [.take(slot: emptySlot(sh), obj: o, field: fullField(sh, o))]
        case 7:  // the stack drops what the heap takes, in one step
            return [.put(obj: fullSlot(sh), field: below(MutatorProgram.fields), from: fullSlot(sh))]
        case 0:  // the heap drops what a stack takes
            let o = fullSlot(sh), f = fullField(sh, o), d = emptySlot(sh)
            return [.load(slot: d, obj: o, field: f), chance(1, 2) ? .clearField(obj: o, field: f)
                    : .store(obj: o, field: f, from: below(s))]
        case 1:  // the stack drops what the heap takes
            let d = fullSlot(sh), o = fullSlot(sh)
            return [.store(obj: o, field: below(MutatorProgram.fields), from: d), .clear(slot: d)]
        case 2:  // a global drops what a stack takes
            let g = fullGlobal(sh), d = emptySlot(sh)
            return [.loadGlobal(slot: d, global: g), .clearGlobal(global: g)]
        case 3:  // the stack drops what a global takes
            let d = fullSlot(sh)
            return [.setGlobal(global: below(MutatorProgram.globals), from: d), .clear(slot: d)]
        case 4:  // one heap object takes what another drops
            let a = fullSlot(sh), f = fullField(sh, a), b = fullSlot(sh), t = emptySlot(sh)
            return [.load(slot: t, obj: a, field: f), .store(obj: b, field: below(MutatorProgram.fields), from: t),
                    .clearField(obj: a, field: f)]
        default:  // a new object only a stack (or the heap) knows
            let d = emptySlot(sh)
            return [.alloc(slot: d), chance(1, 2) ? .store(obj: fullSlot(sh), field: below(MutatorProgram.fields), from: d)
                    : .copy(slot: below(s), from: d)]
        }
    }

    /// A move for `GeneratorBias.barrier`: mostly a pointer taken from the heap into a stack
    /// slot with the field it came from overwritten (the lost-object shape of the deletion
    /// and hybrid barriers, and of insertion without a re-scan, when the stack was already
    /// scanned), or a pointer put from a stack into the heap and dropped from the stack (the
    /// shape of the insertion half of the hybrid, when the stack is still grey); now and then
    /// a new cycle, so the stack scans fall between these moves.
    mutating func barrierMove(_ sh: Shadow) -> [MutatorOp] {
        let o = fullSlot(sh), f = fullField(sh, o)
        switch below(24) {
        case 20..<24: return greyStackInsertion(sh)
        case 0..<6: return [.take(slot: emptySlot(sh), obj: o, field: f)]
        case 6..<9:
            let d = emptySlot(sh)
            return [.load(slot: d, obj: o, field: f), chance(1, 2) ? .clearField(obj: o, field: f)
                    : .store(obj: o, field: f, from: below(MutatorProgram.slots))]
        case 9..<13: return [.put(obj: o, field: below(MutatorProgram.fields), from: fullSlot(sh))]
        case 13..<15:
            let d = fullSlot(sh)
            return [.store(obj: o, field: below(MutatorProgram.fields), from: d), .clear(slot: d)]
        case 15..<17:
            let b = fullSlot(sh), t = emptySlot(sh)
            return [.load(slot: t, obj: o, field: f), .store(obj: b, field: below(MutatorProgram.fields), from: t),
                    .clearField(obj: o, field: f)]
        case 17: return [.load(slot: emptySlot(sh), obj: o, field: f)]
        default: return [.startGC]
        }
    }

    /// The grey-stack insertion (the bug the hybrid's insertion half stops): `s[y] = new`
    /// while no mark runs (a white object only this stack knows), then a decision that hands
    /// the P on (`startGC`, whose yield lets a new cycle's coordinator begin the mark and
    /// scan a stack or two; or a `yield` while a cycle is pending), then `s[x] = new` (black
    /// if the mark has begun) and `s[x].f = s[y]; s[y] = nil`. If this goroutine's stack is
    /// still grey, the white object now hangs only from a black one (see the essay for why
    /// this suits PCT).
    mutating func greyStackInsertion(_ sh: Shadow) -> [MutatorOp] {
        let y = emptySlot(sh)
        let x = (y + 1 + below(MutatorProgram.slots - 1)) % MutatorProgram.slots
        return [.alloc(slot: y), chance(1, 2) ? .startGC : .yield, .alloc(slot: x),
                .put(obj: x, field: below(MutatorProgram.fields), from: y)]
    }

    /// One operation from the weighted table.
    mutating func single(_ sh: Shadow, canSendTo: Range<Int>, spawning: Bool) -> MutatorOp {
        let f = MutatorProgram.fields, gl = MutatorProgram.globals
        while true {
            switch below(100) {
            case 0..<10: return .alloc(slot: emptySlot(sh))
            case 10..<15: return .allocInto(obj: fullSlot(sh), field: below(f))
            case 15..<30: return .store(obj: fullSlot(sh), field: below(f), from: fullSlot(sh))
            case 30..<37: let o = fullSlot(sh); return .clearField(obj: o, field: fullField(sh, o))
            case 37..<52: let o = fullSlot(sh); return .load(slot: emptySlot(sh), obj: o, field: fullField(sh, o))
            case 52..<58: return .setGlobal(global: below(gl), from: fullSlot(sh))
            case 58..<61: return .clearGlobal(global: fullGlobal(sh))
            case 61..<68: return .loadGlobal(slot: emptySlot(sh), global: fullGlobal(sh))
            case 68..<72: return .copy(slot: emptySlot(sh), from: fullSlot(sh))
            case 72..<77: return .clear(slot: fullSlot(sh))
            case 77..<83:
                if canSendTo.isEmpty { continue }
                return .send(channel: canSendTo.lowerBound + below(canSendTo.count), from: fullSlot(sh))
            case 83..<86:
                if !spawning { continue }
                return .spawn(child: 0, from: fullSlot(sh))   // child filled in by the caller
            case 86..<88: return .yield
            default: return .startGC
            }
        }
    }
}
