import Foundation
import Testing
@testable import TriColorLab
@testable import TriColor

/// The pages in a real browser: Debian's `chromium`, headless, loads every fixture's page
/// (GC scenarios and scheduler scenarios)
/// from a file URL, steps it with the arrow keys (the page's `#step=N&keys=R,...` fragment
/// sends them through its own key handler), and reports what the current step shows; a
/// screenshot is taken of the lost-object page. One harness page holds every page in an
/// iframe, so the browser starts once (`--dump-dom` prints the harness with the results
/// after `--virtual-time-budget`). Skipped when chromium is not installed.
@Suite(.enabled(if: Chromium.path != nil, "chromium is not installed: apt-get install -y chromium"))
struct BrowserTests {
    /// One thing to check in a page after stepping: the element `selector` (within the
    /// current step) has class `wants`.
    struct Probe {
        var page: String
        var start: Int
        var keys: String
        var step: Int
        var selector: String
        var wants: String
    }

    @Test func fixturePagesStepWithTheKeyboard() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tc-browser-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var probes: [Probe] = []
        for name in ScenarioFixtureTests.fixtures {
            let (s, doc, html) = try TeachingPageTests.page(name)
            try html.write(to: dir.appendingPathComponent(name + ".html"), atomically: true, encoding: .utf8)
            // Every expect line: arrive at its step by pressing right from the step before.
            for (k, (_, st)) in s.statements.enumerated() {
                guard case .expect(let root, let colour, let only) = st, k > 0 else { continue }
                for c in (only ?? TeachingPageTests.concurrent).prefix(2) {
                    let frame = doc.columns.first { $0.name == c.rawValue }!.frames[k]
                    let target = frame.lanes.flatMap(\.roots).first { $0.name == root }!.target!
                    probes.append(Probe(page: name + ".html", start: k, keys: "R", step: k + 1,
                                        selector: "article[data-collector=\"\(c)\"] g[data-object=\"\(target)\"]", wants: "\(colour)"))
                }
            }
        }
        // Scheduler pages: at every step (reached by a right arrow from the one before),
        // each M shows the state the run had.
        for name in SchedScenarioTests.fixtures {
            let (sc, o) = try SchedScenarioTests.load(name)
            try sc.html(o).write(to: dir.appendingPathComponent(name + ".html"), atomically: true, encoding: .utf8)
            for (k, f) in o.frames.enumerated() where k > 0 {
                for m in f.machines {
                    probes.append(Probe(page: name + ".html", start: k, keys: "R", step: k + 1,
                                        selector: "div[data-m=\"M\(m.id)\"]", wants: m.state.rawValue))
                }
            }
        }
        // The issue's example: C is white at the step after `b.0 = nil` under noBarrier,
        // reached by stepping back and forth; the listing highlights that line.
        probes.append(Probe(page: "lost-object.scenario.html", start: 10, keys: "R,R,L,R", step: 12,
                            selector: "article[data-collector=\"noBarrier\"] g[data-object=\"C\"]", wants: "white"))
        probes.append(Probe(page: "lost-object.scenario.html", start: 15, keys: "R,R", step: 16,
                            selector: "article[data-collector=\"noBarrier\"] g[data-object=\"C\"]", wants: "lost"))
        let results = try Chromium.run(probes, in: dir)
        #expect(results.count == probes.count)
        for (p, r) in zip(probes, results) {
            #expect(r == "ok", "\(p.page) #step=\(p.start)&keys=\(p.keys) \(p.selector): \(r)")
        }
        #expect(probes.count > 40)
    }

    @Test func screenshotOfTheLostObject() throws {
        let (_, _, html) = try TeachingPageTests.page("lost-object.scenario", [.noBarrier])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tc-shot-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("lost.html"), png = dir.appendingPathComponent("lost.png")
        try html.write(to: page, atomically: true, encoding: .utf8)
        _ = try Chromium.launch(["--window-size=1100,600", "--screenshot=\(png.path)", page.absoluteString + "#step=16"])
        let data = try Data(contentsOf: png)
        #expect(data.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(data.count > 10_000)
    }
}

/// Running Debian's chromium headless.
enum Chromium {
    static let path: String? = {
        for p in [ProcessInfo.processInfo.environment["CHROMIUM"], "/usr/bin/chromium", "/usr/bin/chromium-browser"] {
            if let p, FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }()

    /// Runs chromium headless with `args`; returns standard output.
    static func launch(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path!)
        // --no-sandbox: CI runs as root, and these are pages the test wrote itself.
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                       "--disable-component-update", "--disable-sync", "--allow-file-access-from-files"] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Loads every probe's page in an iframe of one harness page and returns, per probe,
    /// "ok" or what was found instead.
    static func run(_ probes: [BrowserTests.Probe], in dir: URL) throws -> [String] {
        var frames = "", checks = ""
        for (i, p) in probes.enumerated() {
            frames += "<iframe id=\"f\(i)\" src=\"\(p.page)#step=\(p.start)&amp;keys=\(p.keys)\"></iframe>\n"
            checks += "[\(i), \(p.step), \(jsString(p.selector)), \(jsString(p.wants))],\n"
        }
        let harness = """
            <!DOCTYPE html><html><body><pre id="results"></pre>
            \(frames)<script>
            const checks = [\(checks)];
            window.onload = () => {
              document.getElementById("results").textContent = checks.map(([i, step, selector, wants]) => {
                const d = document.getElementById("f" + i).contentDocument;
                if (+d.body.dataset.step !== step) return "at step " + d.body.dataset.step + ", not " + step;
                if (d.location.hash !== "#step=" + step) return "fragment " + d.location.hash;
                const current = d.querySelector("section.step.current");
                if (+current.dataset.step !== step) return "section " + current.dataset.step + " shown";
                const li = d.querySelector(".listing li.current");
                if (!li || li.dataset.line !== current.dataset.line) return "listing highlights " + (li && li.dataset.line);
                const e = current.querySelector(selector);
                if (!e) return "no element";
                return e.classList.contains(wants) ? "ok" : "class is " + e.getAttribute("class");
              }).join("\\n");
            };
            </script></body></html>
            """
        let url = dir.appendingPathComponent("harness.html")
        try harness.write(to: url, atomically: true, encoding: .utf8)
        let dom = try launch(["--virtual-time-budget=5000", "--dump-dom", url.absoluteString])
        guard let start = dom.range(of: "<pre id=\"results\">"), let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else {
            return ["no results in the dumped DOM"]
        }
        return dom[start.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    static func jsString(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
