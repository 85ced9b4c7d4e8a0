import Testing
@testable import TriColorLab
@testable import TriColor

/// `GeneratorBias.barrier` draws well-formed programs with far more of the moves that expose
/// barrier bugs (heap -> stack takes, stack -> heap puts) than the uniform mix.
@Suite struct GeneratorBiasTests {
    func moveShare(_ bias: GeneratorBias) -> Double {
        var moves = 0, ops = 0
        for seed: UInt64 in 0..<200 {
            let p = ProgramGenerator.program(seed: seed, shape: ProgramShape(bias: bias))
            #expect(p.validationError() == nil)
            if bias == .barrier { #expect(p.gcAtStart) }
            for t in p.threads {
                for op in t.ops {
                    ops += 1
                    switch op {
                    case .take, .put: moves += 1
                    default: break
                    }
                }
            }
        }
        return Double(moves) / Double(ops)
    }

    @Test func barrierBiasDrawsMoreBarrierMoves() {
        let uniform = moveShare(.uniform), barrier = moveShare(.barrier)
        #expect(barrier > 2 * uniform, "barrier \(barrier) vs uniform \(uniform)")
    }

    @Test func sameSeedSameBiasedProgram() {
        let shape = ProgramShape(bias: .barrier)
        #expect(ProgramGenerator.program(seed: 9, shape: shape) == ProgramGenerator.program(seed: 9, shape: shape))
        #expect(ProgramGenerator.program(seed: 9, shape: shape) != ProgramGenerator.program(seed: 9, shape: ProgramShape()))
    }

    /// Whether `ops` holds the grey-stack insertion: `s[y] = new`, a hand-off (`startGC` or
    /// `yield`), `s[x] = new`, `s[x].f = s[y]; s[y] = nil`.
    static func hasGreyStackInsertion(_ ops: [MutatorOp]) -> Bool {
        guard ops.count >= 4 else { return false }
        for i in 0...(ops.count - 4) {
            guard case .alloc(let y) = ops[i], ops[i + 1] == .startGC || ops[i + 1] == .yield,
                  case .alloc(let x) = ops[i + 2], case .put(let o, _, let from) = ops[i + 3] else { continue }
            if o == x && from == y && x != y { return true }
        }
        return false
    }

    @Test func barrierBiasDrawsTheGreyStackInsertion() {
        var with = 0, uniformWith = 0
        for seed: UInt64 in 0..<200 {
            if ProgramGenerator.program(seed: seed, shape: ProgramShape(bias: .barrier)).threads.contains(where: { Self.hasGreyStackInsertion($0.ops) }) { with += 1 }
            if ProgramGenerator.program(seed: seed, shape: ProgramShape()).threads.contains(where: { Self.hasGreyStackInsertion($0.ops) }) { uniformWith += 1 }
        }
        #expect(with >= 100, "only \(with) of 200 barrier programs hold the pattern")
        #expect(uniformWith < 10, "\(uniformWith) of 200 uniform programs hold the pattern")
    }
}
