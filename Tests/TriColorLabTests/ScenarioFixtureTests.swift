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
        for c in CollectorKind.builtIns where c != .markSweep {
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

/// Files that parse token by token but make no sense as a mark are refused with their
/// position, never run (a misuse of the language is not reported as a collector bug).
@Suite struct ScenarioOrderTests {
    static let head = "type T 1\nglobal a = new T\n"

    func error(_ body: String) -> ScenarioError? {
        do { _ = try Scenario.parse(ScenarioOrderTests.head + body, file: "bad.scenario"); return nil } catch { return error }
    }

    @Test func markOrderIsChecked() throws {
        let cases: [(String, String)] = [
            ("begin\nfinish\nfinish\nlost-under\n", "bad.scenario:5:1: a second 'finish'"),
            ("scan a\nbegin\nfinish\nlost-under\n", "bad.scenario:3:1: 'scan' outside the mark: it must come between 'begin' and 'finish'"),
            ("begin\nbegin\nfinish\nlost-under\n", "bad.scenario:4:1: 'begin': a mark is already in progress"),
            ("finish\nlost-under\n", "bad.scenario:3:1: 'finish' without 'begin'"),
            ("begin\nfinish\nexpect a white\nlost-under\n", "bad.scenario:5:1: 'expect' outside the mark: it must come between 'begin' and 'finish'"),
            ("begin\nfinish\na.0 = a\nlost-under\n", "bad.scenario:5:1: 'a.0' after 'finish': only 'lost-under' may follow"),
            ("begin\nfinish\nlost-under\nbegin\n", "bad.scenario:6:1: nothing may follow 'lost-under'"),
            ("begin\na.0 = a junk\nfinish\nlost-under\n", "bad.scenario:4:9: unexpected 'junk'"),
            ("slot s = a\ns = a junk\nbegin\nfinish\nlost-under\n", "bad.scenario:4:7: unexpected 'junk'"),
            ("begin\na.0 = new T junk\nfinish\nlost-under\n", "bad.scenario:4:13: unexpected 'junk'"),
        ]
        for (body, want) in cases {
            let e = try #require(error(body), "accepted: \(body)")
            #expect(e.description == want)
        }
        #expect(error("begin\nscan a\na.0 = new T\nexpect a black\nfinish\nlost-under\n") == nil)
    }
}
