// Bad input never traps: 10,000 random argument vectors through tricolor's parsers, and
// 10,000 mutated replay tokens parsed (and, when they parse, run). Every case must end in
// a value: a parse result, an error message with exit status 2, or a run's verdict.

import Foundation
import Testing
@testable import TricolorCLI
@testable import TriColorLab
import TriColor

/// A small deterministic generator (the fuzz cases are reproducible from the seed).
struct FuzzRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
}

@Suite struct FuzzTests {
    static let checkOptions = ["--collector", "--ablations", "--seeds", "--first-seed", "--scheduler", "--goroutines",
                               "--ops", "--objects", "--schedules", "--pct-depth", "--bound", "--max-schedules",
                               "--check", "--no-shrink", "--trace", "--bogus", "-", "--", ""]
    static let values = ["0", "1", "-1", "3", "17", "64", "1000", "99999999999999", "99999999999999999999999",
                         "9223372036854775807", "-9223372036854775808", "1e3", "0x10", "", " ", "hybrid", "markSweep",
                         "noBarrier", "nope", "random", "pct", "exhaustive", "full", "cheap", "off", "é", "\u{0}"]

    @Test func tricolorCheckParserNeverTraps() {
        var rng = FuzzRandom(state: 1)
        var accepted = 0, refused = 0
        for _ in 0..<10_000 {
            var args: [String] = []
            for _ in 0..<rng.below(8) {
                args.append(rng.below(3) == 0 ? rng.pick(Self.values) : rng.pick(Self.checkOptions))
            }
            var err = ""
            if let o = TricolorCLI.parseCheck(args, err: { err += $0 }) {
                accepted += 1
                #expect(err.isEmpty)
                // What parses is a size a run can hold: the limits hold on every accepted value.
                #expect(o.config.seeds >= 1 && o.config.seeds <= 100_000_000, "\(args)")
                #expect(o.config.shape.goroutines <= 16 && o.config.shape.ops <= 1_000, "\(args)")
            } else {
                refused += 1
                #expect(err.contains("usage: tricolor"), "\(args): \(err)")
            }
        }
        #expect(accepted > 100 && refused > 100)
    }

    @Test func absurdSizesAreRefused() {
        for args in [["--seeds", "99999999999999"], ["--seeds", "99999999999999999999999"], ["--goroutines", "100000"],
                     ["--ops", "1000000"], ["--max-schedules", "9223372036854775807"], ["--first-seed", "9223372036854775807"]] {
            var err = ""
            #expect(TricolorCLI.parseCheck(args, err: { err += $0 }) == nil, "\(args)")
            #expect(err.contains("wants an integer in"), "\(args): \(err)")
        }
    }

    /// Whole command lines other than `check` (which would start campaigns): replay, scenario,
    /// help and junk, with random tokens, through `TricolorCLI.run`.
    @Test func tricolorCommandLinesNeverTrap() {
        var rng = FuzzRandom(state: 2)
        let fixture = ScenarioCLITests.fixtures.appendingPathComponent("lost-object.scenario").path
        let words = ["replay", "scenario", "help", "--help", "-h", "check2", "tc1/hybrid/0/r1:", "tc1", "/", fixture,
                     "/nonexistent.scenario", "--collector", "--svg", "hybrid", "markSweep", "nope", ""]
        var statuses: [Int32: Int] = [:]
        for _ in 0..<10_000 {
            var args = [rng.pick(["replay", "scenario", "help", "frobnicate", ""])]
            for _ in 0..<rng.below(4) { args.append(rng.pick(words)) }
            // Running the fixture is the slow path; keep it to one case in 50 (args that name it
            // with a valid collector run it for real).
            if args.contains(fixture) && rng.below(50) != 0 { continue }
            let status = TricolorCLI.run(args, out: { _ in }, err: { _ in })
            statuses[status, default: 0] += 1
            #expect([0, 1, 2].contains(status), "\(args) -> \(status)")
        }
        #expect(statuses[2, default: 0] > 1_000)
    }

    /// 10,000 mutations of valid replay tokens (a character changed, deleted or inserted; a
    /// part dropped, duplicated or truncated). Every one parses to a token or to a
    /// `PropertyError`; the ones that parse run to a verdict.
    @Test func mutatedReplayTokensNeverTrap() throws {
        var rng = FuzzRandom(state: 3)
        var bases: [String] = []
        for seed in 0..<20 as Range<UInt64> {
            let program = ProgramGenerator.program(seed: seed, shape: ProgramShape(goroutines: 2, ops: 6))
            let kind = CollectorKind.allCases[Int(seed) % CollectorKind.allCases.count]
            let o = ProgramRunner(collector: kind, checkLevel: .cheap).run(program, schedule: .random(seed: seed))
            bases.append(ReplayToken(collector: kind, program: program, replay: o.replay).encoded)
        }
        let alphabet = Array("tc1/,.-~:*0123456789STwyzr hybrid")
        var parsed = 0, ran = 0
        for _ in 0..<10_000 {
            var chars = Array(rng.pick(bases))
            for _ in 0...rng.below(3) {
                switch rng.below(6) {
                case 0 where !chars.isEmpty: chars[rng.below(chars.count)] = rng.pick(alphabet)
                case 1 where !chars.isEmpty: chars.remove(at: rng.below(chars.count))
                case 2: chars.insert(rng.pick(alphabet), at: rng.below(chars.count + 1))
                case 3: chars = Array(chars.prefix(rng.below(chars.count + 1)))
                case 4:
                    var parts = String(chars).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                    if parts.count > 1 { parts.swapAt(rng.below(parts.count), rng.below(parts.count)) }
                    chars = Array(parts.joined(separator: "/"))
                default:
                    var parts = String(chars).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                    let i = rng.below(parts.count)
                    parts.insert(parts[i], at: i)
                    chars = Array(parts.joined(separator: "/"))
                }
            }
            let text = String(chars)
            guard let token = try? ReplayToken(parsing: text) else { continue }
            parsed += 1
            // Run one parsed token in ten (each run builds a runtime): enough to reach the
            // replay-mismatch and malformed-program paths many times over.
            if rng.below(10) != 0 { continue }
            ran += 1
            let outcome = ProgramRunner(collector: token.collector, checkLevel: .cheap)
                .run(token.program, schedule: .replay(token.replay))
            #expect(!outcome.message.isEmpty)
        }
        #expect(parsed > 500 && ran > 50, "parsed \(parsed), ran \(ran)")
    }
}
