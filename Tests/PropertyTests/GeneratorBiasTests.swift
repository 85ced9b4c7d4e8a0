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
}
