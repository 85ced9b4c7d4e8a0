// Two collectors written only against TriColor's public API (no `@testable`, no `package`
// access): the module a reader copies to write a collector of their own. Each file holds
// one algorithm's plan and an ablated variant; `CollectorExamples.register()` puts all four
// in the registry so that every tool accepts their names.

import TriColor

public enum CollectorExamples {
    /// Steele's barrier with its stack re-scan.
    public static let steele = "steele"
    /// UNSAFE ablation of `steele`: no re-scan.
    public static let steeleNoRescan = "steeleNoRescan"
    /// Go 1.19's buffered barrier: shade(*slot) and shade(ptr), unconditionally.
    public static let go119 = "go119"
    /// UNSAFE ablation of `go119`: no shade(*slot).
    public static let go119NoDeletionShade = "go119NoDeletionShade"

    /// Registers the four collectors (registering them again is a no-op) and returns them:
    /// steele, steeleNoRescan, go119, go119NoDeletionShade.
    /// - Throws: `CollectorKindError` if one of the names is already registered with
    ///   another plan.
    @discardableResult
    public static func register() throws(CollectorKindError) -> [CollectorKind] {
        [try CollectorKind.register(name: steele, plan: Steele.plan),
         try CollectorKind.register(name: steeleNoRescan, plan: Steele.noRescanPlan),
         try CollectorKind.register(name: go119, plan: GoBufferedBarrier.plan),
         try CollectorKind.register(name: go119NoDeletionShade, plan: GoBufferedBarrier.noDeletionShadePlan)]
    }
}
