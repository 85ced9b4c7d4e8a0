// `tricolor check ... --shrink-stats N`: how small the counterexamples are. For each
// collector checked (with --ablations, each ablation), runs seeds until N oracle failures
// (or the seeds run out), shrinks every one (Shrinker, from the failing run's replay
// string) and prints the median and maximum size, in operations over all goroutines, of
// the shrunk programs, with how many are above the target of 12 operations. A failure
// whose replay does not fail again cannot be shrunk; those are counted apart
// (`unreproduced`) and left out of the sizes.

import Foundation
import TriColor
import TriColorLab

extension TricolorCLI {
    static func shrinkStats(_ o: Options, failures n: Int, out: (String) -> Void) -> Int32 {
        let kinds = o.ablations ? CollectorKind.ablations : [o.config.collector]
        out("collector               failures  seeds_run  median_ops  max_ops  over_12  unreproduced  original_median  shrink_s")
        var allSmall = true
        for kind in kinds {
            var c = o.config
            c.collector = kind
            c.stopAtFirstFailure = false
            c.shrink = false
            c.keepFailures = n
            c.slice = o.campaign.shard ?? .all
            let r = PropertyCheck.run(c)
            let start = DispatchTime.now().uptimeNanoseconds
            let shrinker = Shrinker(runner: ProgramRunner(collector: kind, checkLevel: c.checkLevel))
            var sizes: [Int] = [], originals: [Int] = [], unreproduced = 0
            for f in r.kept {
                originals.append(f.program.operationCount)
                guard let s = shrinker.shrink(f.program, schedule: .replay(f.outcome.replay)) else {
                    unreproduced += 1
                    continue
                }
                sizes.append(s.program.operationCount)
            }
            let secs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            sizes.sort()
            originals.sort()
            func median(_ a: [Int]) -> String { a.isEmpty ? "-" : String(a.count % 2 == 1 ? Double(a[a.count / 2]) : Double(a[a.count / 2 - 1] + a[a.count / 2]) / 2) }
            let over = sizes.filter { $0 > 12 }.count
            if over > 0 || unreproduced > 0 { allSmall = false }
            func pad(_ s: String, _ w: Int) -> String { s.padding(toLength: max(w, s.count), withPad: " ", startingAt: 0) }
            out(pad(kind.rawValue, 24) + pad(String(r.kept.count), 10) + pad(String(r.seedsRun), 11) + pad(median(sizes), 12)
                + pad(sizes.last.map(String.init) ?? "-", 9) + pad(String(over), 9) + pad(String(unreproduced), 14)
                + pad(median(originals), 17)
                + String(format: "%.1f", secs))
            if r.errors > 0, let f = r.firstFailure, !f.isGCFailure {
                out("  \(r.errors) runs failed other than by an oracle; first: \(f.message.prefix(300))")
            }
        }
        return allSmall ? 0 : 1
    }
}
