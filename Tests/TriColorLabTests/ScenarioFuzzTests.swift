import Foundation
import GMP
import Testing
@testable import TriColorLab
@testable import TriColor

/// Every fixture mutated 10,000 times in all (lines deleted, duplicated, swapped, tokens
/// replaced by random ones): each mutant either parses and runs to an outcome under hybrid,
/// or is refused with `file:line:column: message`. Nothing traps (a trap ends the test
/// process, so a pass means none did).
@Test func mutatedScenariosNeverTrap() throws {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fixtures").standardized
    let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".scenario") }.sorted()
    let sources = try files.map { try String(contentsOf: dir.appendingPathComponent($0), encoding: .utf8) }
    #expect(!sources.isEmpty)
    var rng = SplitMix64(seed: 2026)
    let words = ["begin", "finish", "scan", "scan-stack", "expect", "go", "slot", "global", "type", "new", "nil",
                 "=", "a", "b", "c", "x", "a.0", "b.1", "c.9", "T", "A", "white", "grey", "black", "for",
                 "hybrid", "lost-under", "#", "0", "65", "-1", "a..0", "9999999999999999999"]
    var parsed = 0, refused = 0, ran = 0
    for i in 0..<10_000 {
        var lines = sources[i % sources.count].split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for _ in 0..<(1 + Int(rng.next() % 3)) {
            let k = Int(rng.next() % UInt64(max(1, lines.count)))
            switch rng.next() % 4 {
            case 0: if !lines.isEmpty { lines.remove(at: k) }
            case 1: if !lines.isEmpty { lines.insert(lines[k], at: k) }
            case 2: if lines.count > 1 { lines.swapAt(k, Int(rng.next() % UInt64(lines.count))) }
            default:
                guard !lines.isEmpty else { break }
                var toks = lines[k].split(separator: " ").map(String.init)
                let w = words[Int(rng.next() % UInt64(words.count))]
                if toks.isEmpty { toks = [w] } else { toks[Int(rng.next() % UInt64(toks.count))] = w }
                lines[k] = toks.joined(separator: " ")
            }
        }
        let text = lines.joined(separator: "\n")
        do {
            let s = try Scenario.parse(text, file: "mutant\(i).scenario")
            parsed += 1
            // Run one mutant in 20 (a runtime each); parsing covers all of them.
            if i % 20 == 0 {
                _ = try s.run(collector: .hybrid, file: "mutant\(i).scenario")
                ran += 1
            }
        } catch let e as ScenarioError {
            refused += 1
            #expect(e.description.hasPrefix("mutant\(i).scenario:\(e.line):\(e.column): "))
            #expect(e.line >= 1 && e.column >= 1)
        }
    }
    #expect(parsed + refused == 10_000)
    #expect(parsed > 0 && refused > 0, "parsed \(parsed), refused \(refused)")
    #expect(ran > 0)
}
