import Foundation
import Testing
@testable import TricolorCLI
@testable import TriColorLab
@testable import TriColor

/// The teaching page of a counterexample: `check --html DIR` writes the shrunk failure's
/// page, `replay TOKEN --html OUT` the same page from its token; one step per traced
/// operation plus the verdict, with the lost object marked.
@Suite struct TeachingReplayTests {
    @Test func counterexamplePageFromCheckAndReplay() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tc-ce-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var out: [String] = []
        let rc = TricolorCLI.run(["check", "--collector", "noBarrier", "--seeds", "50", "--html", dir],
                                 out: { out.append($0) }, err: { _ in })
        #expect(rc == 1)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(files.count == 1 && files[0].hasPrefix("counterexample-noBarrier-seed"))
        let token = try #require(out.joined(separator: "\n").split(separator: "\n").first { $0.hasPrefix("replay token: ") })
            .dropFirst("replay token: ".count)
        let checkPage = try String(contentsOfFile: dir + "/" + files[0], encoding: .utf8)

        let path = dir + "/replay.html"
        #expect(TricolorCLI.run(["replay", String(token), "--html", path], out: { _ in }, err: { _ in }) == 1)
        let page = try String(contentsOfFile: path, encoding: .utf8)
        #expect(page == checkPage, "replaying the token draws the same page")

        #expect(page.contains("class=\"verdict lost\""))
    }

    @Test func badHTMLArgumentsExitTwo() {
        #expect(TricolorCLI.run(["replay", "tc1/hybrid/x/r1:", "--svg", "x"], out: { _ in }, err: { _ in }) == 2)
        #expect(TricolorCLI.run(["check", "--ablations", "--html", "/tmp/x"], out: { _ in }, err: { _ in }) == 2)
        #expect(TricolorCLI.run(["sched"], out: { _ in }, err: { _ in }) == 2)
        #expect(TricolorCLI.run(["sched", "x.sched", "--html"], out: { _ in }, err: { _ in }) == 2)
    }
}
