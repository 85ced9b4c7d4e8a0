import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import TricolorCLI

/// `tricolor scenario`: steps a fixture, exit 0; malformed file -> file:line:column, exit 2.
@Suite struct ScenarioCLITests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    @Test func stepsAFixture() {
        var out: [String] = [], err: [String] = []
        let path = Self.fixtures.appendingPathComponent("lost-object.scenario").path
        let rc = TricolorCLI.run(["scenario", path, "--collector", "noBarrier"], out: { out.append($0) }, err: { err.append($0) })
        #expect(rc == 0, "\(err)")
        #expect(out.contains { $0.contains("scan a") && $0.contains("a=black b=grey") })
        #expect(out.contains { $0.hasPrefix("outcome: LOST 1 live object") })
    }

    @Test func malformedFileExitsTwoWithPosition() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tc-bad-\(getpid()).scenario").path
        try "type A 1\nglobal a = nil\nfinish\nlost-under\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var err: [String] = []
        let rc = TricolorCLI.run(["scenario", path], out: { _ in }, err: { err.append($0) })
        #expect(rc == 2)
        #expect(err == ["\(path):2:12: a global starts as 'new TYPE'"])
    }

    @Test func picturesAreWellFormedSVG() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tc-pics-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = Self.fixtures.appendingPathComponent("lost-object.scenario").path
        let rc = TricolorCLI.run(["scenario", path, "--collector", "hybrid", "--svg", dir], out: { _ in }, err: { _ in })
        #expect(rc == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".svg") }.sorted()
        #expect(files.count == 16)
        for f in files {
            let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + f))
            let parser = XMLParser(data: data)
            #expect(parser.parse(), "\(f) is not well-formed XML")
        }
        // The step after `a.0 = c` under hybrid: a black, b grey, c grey (the insertion half
        // shaded it), and the edge just written marked.
        let svg = try String(contentsOfFile: dir + "/" + files[10], encoding: .utf8)
        #expect(svg.contains("class=\"node black\" data-object=\"A\""))
        #expect(svg.contains("class=\"node grey\" data-object=\"B\""))
        #expect(svg.contains("class=\"node grey shaded\" data-object=\"C\""))
        #expect(svg.contains("class=\"edge written\""))
    }

    @Test func badArgumentsExitTwo() {
        var err: [String] = []
        #expect(TricolorCLI.run(["scenario"], out: { _ in }, err: { err.append($0) }) == 2)
        #expect(TricolorCLI.run(["scenario", "x.scenario", "--collector", "markSweep"], out: { _ in }, err: { err.append($0) }) == 2)
    }
}
