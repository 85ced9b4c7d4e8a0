// The teaching page as one self-contained HTML file: inline CSS, a few lines of JS, and the
// SVG of every step written into the page (no network, no fonts, opens from disk).
//
// The page is a shell (`TeachingHTML.page`) shared by the GC pages and the scheduler pages:
// a header, the controls, a listing with the current line highlighted, and one <section
// class="step"> per step of which only the current one is shown. The controls: previous /
// next (buttons and the arrow keys), Home / End, a slider, play / pause (button and space),
// and a button that jumps to a marked step (the first invariant break). The URL fragment
// holds the step (`#step=12`), so a link opens that moment. For tests, a fragment
// `#step=N&keys=R,R,L` presses those arrow keys (R right, L left) once the page has loaded,
// through the same key handler a reader uses. The file is also well-formed XML (the script
// sits in a CDATA section), so tests parse it with an XML parser.

import TriColor

/// Writes teaching pages (see the essay above).
public enum TeachingHTML {
    /// One step of a page: the listing line it highlights (1-based; nil for none), a
    /// heading, and its content (HTML).
    public struct Step: Sendable {
        public var line: Int?
        public var heading: String
        public var body: String
        public init(line: Int?, heading: String, body: String) {
            self.line = line
            self.heading = heading
            self.body = body
        }
    }

    /// The page around `steps`. `jump` names a step the jump button goes to (1-based).
    public static func page(title: String, subtitle: String, listing: [String], steps: [Step],
                            jump: (label: String, step: Int)?, extraCSS: String = "") -> String {
        var h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        h += "<title>\(xmlEscape(title))</title>\n<style>\n\(css)\(extraCSS)</style>\n</head>\n"
        h += "<body data-step=\"1\" data-steps=\"\(steps.count)\"\(jump.map { " data-jump=\"\($0.step)\"" } ?? "")>\n"
        h += "<header><h1>\(xmlEscape(title))</h1><p>\(xmlEscape(subtitle))</p></header>\n"
        h += "<nav class=\"controls\">"
        h += "<button id=\"prev\" title=\"previous step (left arrow)\">&#8592; previous</button>"
        h += "<button id=\"play\" title=\"play / pause (space)\">play</button>"
        h += "<button id=\"next\" title=\"next step (right arrow)\">next &#8594;</button>"
        h += "<input id=\"slider\" type=\"range\" min=\"1\" max=\"\(max(1, steps.count))\" value=\"1\" aria-label=\"step\"/>"
        h += "<span id=\"where\">step 1 of \(steps.count)</span>"
        if let jump { h += "<button id=\"jump\" data-step=\"\(jump.step)\">\(xmlEscape(jump.label)) (step \(jump.step))</button>" }
        h += "</nav>\n<main>\n<ol class=\"listing\">\n"
        for (i, l) in listing.enumerated() {
            h += "<li data-line=\"\(i + 1)\"><code>\(xmlEscape(l.isEmpty ? " " : l))</code></li>\n"
        }
        h += "</ol>\n<div class=\"steps\">\n"
        for (k, s) in steps.enumerated() {
            h += "<section class=\"step\(k == 0 ? " current" : "")\" data-step=\"\(k + 1)\"\(s.line.map { " data-line=\"\($0)\"" } ?? "")>\n"
            h += "<h2>step \(k + 1) of \(steps.count): \(xmlEscape(s.heading))</h2>\n\(s.body)</section>\n"
        }
        h += "</div>\n</main>\n"
        h += "<svg width=\"0\" height=\"0\" style=\"position:absolute\" aria-hidden=\"true\">\(ScenarioFrame.svgDefs)</svg>\n"
        h += "<script>//<![CDATA[\n\(script)//]]>\n</script>\n</body>\n</html>\n"
        return h
    }

    static let css = """
        body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #111; background: #fff; }
        header { padding: 8px 16px; border-bottom: 1px solid #ccc; }
        header h1 { font-size: 18px; margin: 0; }
        header p { margin: 2px 0 0; color: #444; }
        .controls { position: sticky; top: 0; background: #eee; padding: 6px 16px; display: flex; gap: 8px; align-items: center; z-index: 1; }
        .controls input { width: 240px; }
        main { display: flex; gap: 16px; padding: 8px 16px; align-items: flex-start; }
        .listing { font: 12px monospace; width: 360px; flex: none; overflow-x: auto; margin: 0; padding-left: 36px; background: #fafafa; border: 1px solid #ddd; }
        .listing li { white-space: pre; }
        .listing li.current { background: #ffe28a; outline: 2px solid #d60; font-weight: bold; }
        .steps { flex: 1; min-width: 0; }
        .step { display: none; }
        .step.current { display: block; }
        .step h2 { font-size: 15px; margin: 0 0 8px; }
        .columns { display: flex; flex-wrap: wrap; gap: 12px; }
        .column { border: 1px solid #bbb; border-radius: 6px; padding: 6px; background: #fff; }
        .column h3 { margin: 0 0 4px; font-size: 14px; }
        .status { display: grid; grid-template-columns: auto 1fr; gap: 0 8px; margin: 0 0 4px; font-size: 12px; }
        .status dt { font-weight: bold; }
        .status dd { margin: 0; }
        .broken { color: #b00; font-weight: bold; }
        .broken::before { content: "BROKEN: "; }
        .notes { margin: 2px 0 4px; padding-left: 18px; font-size: 12px; }
        .verdict { font-weight: bold; padding: 4px; border: 2px solid #111; font-size: 12px; }
        .verdict.lost { border-color: #c00; color: #c00; }
        .verdict.lost::before { content: "\\2717  "; }
        .verdict.kept::before { content: "\\2713  "; }

        """

    static let script = """
        (function () {
          const steps = Array.from(document.querySelectorAll("section.step"));
          const lines = Array.from(document.querySelectorAll(".listing li"));
          const slider = document.getElementById("slider");
          const where = document.getElementById("where");
          const play = document.getElementById("play");
          let current = 1, timer = null;

          function show(k) {
            current = Math.max(1, Math.min(steps.length, k));
            const step = steps[current - 1];
            steps.forEach(s => s.classList.toggle("current", s === step));
            lines.forEach(li => li.classList.toggle("current", li.dataset.line === step.dataset.line));
            slider.value = current;
            where.textContent = "step " + current + " of " + steps.length;
            document.body.dataset.step = current;
            history.replaceState(null, "", "#step=" + current);
          }
          function toggle() {
            if (timer) { clearInterval(timer); timer = null; play.textContent = "play"; return; }
            if (current === steps.length) show(1);
            timer = setInterval(() => { if (current === steps.length) toggle(); else show(current + 1); }, 1000);
            play.textContent = "pause";
          }
          function fragment(name) {
            const m = new RegExp("[#&]" + name + "=([^&]*)").exec(location.hash);
            return m ? m[1] : null;
          }

          document.addEventListener("keydown", e => {
            if (e.target === slider && (e.key === "ArrowLeft" || e.key === "ArrowRight")) return;
            if (e.key === "ArrowRight") show(current + 1);
            else if (e.key === "ArrowLeft") show(current - 1);
            else if (e.key === "Home") show(1);
            else if (e.key === "End") show(steps.length);
            else if (e.key === " ") toggle();
            else return;
            e.preventDefault();
          });
          document.getElementById("prev").onclick = () => show(current - 1);
          document.getElementById("next").onclick = () => show(current + 1);
          play.onclick = toggle;
          slider.oninput = () => show(+slider.value);
          const jump = document.getElementById("jump");
          if (jump) jump.onclick = () => show(+jump.dataset.step);
          window.addEventListener("hashchange", () => show(+(fragment("step") || 1)));

          const keys = fragment("keys");
          show(+(fragment("step") || 1));
          if (keys) keys.split(",").forEach(k =>
            document.dispatchEvent(new KeyboardEvent("keydown", { key: k === "L" ? "ArrowLeft" : "ArrowRight" })));
        })();

        """
}

extension TeachingDocument {
    /// The page as one self-contained HTML file.
    public var html: String {
        let layout = self.layout
        var steps: [TeachingHTML.Step] = []
        for k in 0..<stepCount {
            let lead = columns[0].frames[k]
            var body = "<div class=\"columns\">\n"
            for c in columns {
                let f = c.frames[k]
                body += "<article class=\"column\" data-collector=\"\(xmlEscape(c.name))\" data-phase=\"\(f.phase)\">\n<h3>\(xmlEscape(c.name))</h3>\n"
                body += "<dl class=\"status\"><dt>phase</dt><dd class=\"phase\">\(f.phase)</dd>"
                body += Self.invariant("strong invariant", f.strongBreak, f.phase) + Self.invariant("weak invariant", f.weakBreak, f.phase)
                body += "</dl>\n"
                if !f.notes.isEmpty { body += "<ul class=\"notes\">" + f.notes.map { "<li>\(xmlEscape($0))</li>" }.joined() + "</ul>\n" }
                if let v = f.verdict { body += "<p class=\"verdict \(f.lost.isEmpty ? "kept" : "lost")\">\(xmlEscape(v))</p>\n" }
                body += f.svg(layout, title: "\(c.name): \(f.statement)", defs: false)
                body += "</article>\n"
            }
            body += "</div>\n"
            steps.append(.init(line: lead.line, heading: lead.line > 0 ? "line \(lead.line): \(lead.statement)" : lead.statement, body: body))
        }
        return TeachingHTML.page(title: title, subtitle: subtitle, listing: listing, steps: steps,
                                 jump: firstBreak.map { ("jump to the first invariant break", $0) })
    }

    static func invariant(_ name: String, _ broken: String?, _ phase: String) -> String {
        let value = phase != "marking" ? "<dd>-</dd>" : broken.map { "<dd class=\"broken\">\(xmlEscape($0))</dd>" } ?? "<dd class=\"holds\">holds</dd>"
        return "<dt>\(name)</dt>" + value
    }
}
