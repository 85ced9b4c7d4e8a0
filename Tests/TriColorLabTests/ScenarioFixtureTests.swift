import Foundation
import Testing
@testable import TriColorLab
@testable import TriColor

/// Every fixture in Fixtures/ under every concurrent collector: the expected colours hold,
/// the collectors named in `lost-under` lose a live object, every other one keeps all.
@Suite struct ScenarioFixtureTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    static var fixtures: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            .filter { $0.hasSuffix(".scenario") }.sorted()
    }

    @Test func fixturesExist() {
        #expect(Self.fixtures.count >= 6)
    }

    @Test(arguments: fixtures)
    func fixture(_ name: String) throws {
        let path = Self.dir.appendingPathComponent(name).path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let s = try Scenario.parse(text, file: name)
        for c in CollectorKind.allCases where c != .markSweep {
            let o = try s.run(collector: c, file: name)
            #expect(o.failures.isEmpty, "\(name) under \(c):\n\(o.failures.joined(separator: "\n"))\n\(o.log.joined(separator: "\n"))")
        }
    }

    @Test func malformedFixturesGiveFileLineColumn() {
        let cases: [(String, String)] = [
            ("type A 1\nglobal a = new A\nbegin\nscan\nfinish\nlost-under\n", "bad.scenario:4:5: expected a name"),
            ("type A x\n", "bad.scenario:1:8: expected a pointer-field count 0...64"),
            ("type A 1\n  frobnicate a\n", "bad.scenario:2:3: unknown statement 'frobnicate'"),
            ("type A 1\nglobal a = nil\n", "bad.scenario:2:12: a global starts as 'new TYPE'"),
            ("type A 1\nexpect a purple\n", "bad.scenario:2:10: expected white, grey or black"),
            ("type A 1\nlost-under hybrid bogus\nfinish\n", "bad.scenario:2:19: unknown collector 'bogus'"),
            ("type A 1\nlost-under\n", "bad.scenario:3:1: missing 'finish'"),
        ]
        for (text, want) in cases {
            #expect(throws: ScenarioError.self) { try Scenario.parse(text, file: "bad.scenario") }
            do {
                _ = try Scenario.parse(text, file: "bad.scenario")
            } catch {
                #expect(error.description == want)
            }
        }
    }
}
