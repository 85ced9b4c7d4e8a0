import Foundation
import Testing
@testable import TriColorLab
@testable import GMP

/// The scheduler fixtures: every `expect` line holds on a SchedulerLab, which runs GMP's own
/// scheduler code one M at a time (so these test the scheduler's queues and its wakep,
/// findRunnable, handoffp and exitsyscall decisions), and each page shows the queues and Ms
/// the run produced, at a known step.
@Suite struct SchedScenarioTests {
    static var fixtures: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: ScenarioFixtureTests.dir.path)) ?? [])
            .filter { $0.hasSuffix(".sched") }.sorted()
    }

    static func load(_ name: String) throws -> (SchedScenario, SchedOutcome) {
        let text = try String(contentsOfFile: ScenarioFixtureTests.dir.appendingPathComponent(name).path, encoding: .utf8)
        let s = try SchedScenario.parse(text, file: name)
        return (s, s.run(file: name))
    }

    @Test func fixturesCoverTheClassicCases() {
        #expect(Self.fixtures.count >= 7)
    }

    @Test(arguments: fixtures)
    func expectationsHoldAndThePageShowsTheRun(_ name: String) throws {
        let (s, o) = try Self.load(name)
        #expect(o.failures.isEmpty, "\(o.failures)")
        #expect(o.frames.count == s.statements.filter { !$0.statement.isExpect }.count)
        let dom = try #require(PageDOM.parse(s.html(o)), "\(name): not well-formed")
        #expect(dom.steps.count == o.frames.count)
        // Every step's P and M boxes carry exactly the run's state.
        for (k, f) in o.frames.enumerated() {
            for p in f.queues.procs {
                let box = try #require(dom.steps[k].all("div", "data-p", "P\(p.id)").first)
                #expect(box.attributes["data-local"] == p.local.map { "G\($0)" }.joined(separator: " "))
                #expect(box.attributes["data-runnext"] == (p.runnext.map { "G\($0)" } ?? ""))
                #expect(box.attributes["data-status"] == p.status)
            }
            for m in f.machines {
                let box = try #require(dom.steps[k].all("div", "data-m", "M\(m.id)").first)
                #expect(box.classes == ["m", m.state.rawValue])
            }
            #expect(dom.steps[k].all("div", "data-global").first?.attributes["data-global"] == f.queues.global.map { "G\($0)" }.joined(separator: " "))
        }
    }

    /// Known steps, read from the page itself.
    @Test func knownStepsOnThePages() throws {
        func page(_ name: String) throws -> PageDOM {
            let (s, o) = try Self.load(name)
            return try #require(PageDOM.parse(s.html(o)))
        }
        func attr(_ dom: PageDOM, _ step: Int, _ key: String, _ value: String, _ a: String) -> String? {
            dom.steps[step - 1].all("div", key, value).first?.attributes[a]
        }
        // (3) + (5): after the overflow, 128 stay local and 129 are global; the spinning M,
        // on a fresh P (schedtick 0), takes one for fairness, G2; after G2 exits it takes
        // 65 = min(128, 128/2 + 1), runs the head, G3, and queues 64.
        let full = try page("sched-3-full-queue.sched")
        #expect(attr(full, 4, "data-p", "P0", "data-local")?.split(separator: " ").count == 128)
        #expect(full.steps[3].all("div", "data-global").first?.attributes["data-global"]?.split(separator: " ").count == 129)
        #expect(attr(full, 5, "data-m", "M1", "data-g") == "G2")
        #expect(attr(full, 5, "data-p", "P1", "data-local") == "")
        #expect(attr(full, 6, "data-m", "M1", "data-g") == "G3")
        #expect(attr(full, 6, "data-p", "P1", "data-local")?.split(separator: " ").count == 64)
        #expect(full.steps[5].all("div", "data-global").first?.attributes["data-global"]?.split(separator: " ").count == 63)
        // (7): while M1 spins, wakep starts nobody though P2 is idle; with 1 M spinning and
        // 3 busy Ps, M1 may spin and steals; with 2 busy Ps, M0 may not, and sleeps while M2
        // goes on spinning.
        let spin = try page("sched-7-spin-limit.sched")
        #expect(spin.steps[3].all("div", "data-m").count == 2, "wakep: P2 idle, M1 spinning, nobody started")
        #expect(attr(spin, 7, "data-m", "M1", "data-g") == "G3")
        #expect(spin.steps[6].allText.contains("may spin (2 x 1 spinning < 3 busy Ps)"))
        #expect(attr(spin, 10, "data-m", "M0", "data-state") == "idle")
        #expect(attr(spin, 10, "data-m", "M2", "data-state") == "spinning")
        #expect(spin.steps[9].allText.contains("may not spin (2 x 1 spinning >= 2 busy Ps)"))
        // (6): the thief takes the head half of P0's queue and runs the last it took.
        let steal = try page("sched-6-steal.sched")
        #expect(attr(steal, 4, "data-p", "P1", "data-local") == "G2")
        #expect(attr(steal, 4, "data-m", "M1", "data-g") == "G3")
        #expect(attr(steal, 4, "data-p", "P0", "data-local") == "G4")
        // (8) + (9): the blocked M's P goes to a new M; on return with no P free the
        // goroutine goes global and the M sleeps; a quick syscall gets its old P back.
        let sys = try page("sched-8-syscall.sched")
        #expect(attr(sys, 6, "data-m", "M0", "data-state") == "syscall")
        #expect(attr(sys, 6, "data-m", "M2", "data-p") == "P0")
        #expect(attr(sys, 8, "data-m", "M0", "data-state") == "idle")
        #expect(sys.steps[7].all("div", "data-global").first?.attributes["data-global"] == "G1")
        #expect(attr(sys, 9, "data-p", "P1", "data-status") == "syscall")
        #expect(attr(sys, 10, "data-m", "M1", "data-p") == "P1")
    }

    @Test func malformedFilesGiveFileLineColumn() {
        let cases: [(String, String)] = [
            ("start\n", "bad.sched:1:1: the first statement must be 'procs N'"),
            ("procs 9\n", "bad.sched:1:7: expected a count 1...8"),
            ("procs 2\ngo X0\n", "bad.sched:2:4: expected an M (M0, M1, ...)"),
            ("procs 2\nexpect P0 sideways\n", "bad.sched:2:11: expected runnext, local or local-count"),
            ("procs 2\nexpect M0 dancing\n", "bad.sched:2:11: expected running, spinning, idle, syscall, may-spin or may-not-spin"),
            ("procs 2\nstart now\n", "bad.sched:2:7: unexpected 'now'"),
            ("", "bad.sched:1:1: missing 'procs N'"),
        ]
        for (text, want) in cases {
            do {
                _ = try SchedScenario.parse(text, file: "bad.sched")
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.description == want)
            }
        }
    }

    @Test func misuseIsAFailureNamingTheLine() throws {
        let s = try SchedScenario.parse("procs 1\nstart\nexit M0\nexit M0\n", file: "x.sched")
        let o = s.run(file: "x.sched")
        #expect(o.failures == ["x.sched:4: 'exit M0': M0 is not running a goroutine"])
    }
}
