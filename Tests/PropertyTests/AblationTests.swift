import GMP
import Testing
@testable import TriColorLab
@testable import TriColor

/// The power of the property test: every ablation (a safe collector with one ingredient
/// removed) is caught by a random program within 1,000 seeds, by an oracle (not by a
/// deadlock or another error).
@Suite struct AblationTests {
    @Test(arguments: CollectorKind.ablations)
    func caughtWithinAThousandSeeds(_ kind: CollectorKind) {
        var c = CheckConfiguration(collector: kind)
        c.seeds = 1_000
        c.shrink = false
        let r = PropertyCheck.run(c)
        print("\(kind): first failure at seed \(r.seedsUntilFirstFailure.map(String.init) ?? "-"): \(r.firstFailure?.message ?? "none")")
        #expect(r.seedsUntilFirstFailure != nil, "\(kind) was not caught in 1000 seeds")
        #expect(r.firstFailure?.isGCFailure == true)
        #expect(r.errors == 0)
    }
}
