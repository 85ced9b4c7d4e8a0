import GMP
import Testing
@testable import TriColorLab
@testable import TriColor

/// Programs survive the round trip through their compact encoding and replay tokens.
@Suite struct TokenTests {
    @Test func programEncodingRoundTrips() throws {
        for seed in 0..<200 as Range<UInt64> {
            let p = ProgramGenerator.program(seed: seed, shape: ProgramShape())
            #expect(p.validationError() == nil)
            #expect(try MutatorProgram.decode(p.encoded) == p)
        }
    }
}
