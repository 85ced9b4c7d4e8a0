import Foundation
import Testing
@testable import TriColor

/// Soak (TRICOLOR_SOAK=1): 3,000 runs of the README example on 2 Ps, cycling the safe
/// concurrent collectors with checkmark on, each ending in an explicit collection. Any
/// deadlock, lost object or panic fails the run with the iteration number.
@Test(.enabled(if: ProcessInfo.processInfo.environment["TRICOLOR_SOAK"] != nil))
func runtimeSoak() throws {
    for i in 0..<3_000 {
        let collector: CollectorKind = [.hybrid, .insertion, .deletion][i % 3]
        do {
            let (_, live) = try runReadmeHeapExample(collector: collector, procs: 2)
            if live != 1_000 {
                Issue.record("iteration \(i) (\(collector)): \(live) live objects, want 1000")
                return
            }
        } catch {
            Issue.record("iteration \(i) (\(collector)): \(error)")
            return
        }
    }
}
