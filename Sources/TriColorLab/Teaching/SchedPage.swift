// The teaching page of a scheduler scenario: at every step, every P (status, the M holding
// it, runnext, the local run queue), the global run queue, and every M (running, spinning,
// idle, in a syscall, with its goroutine), with the goroutines that moved in this step
// marked. States are written as words, so nothing depends on colour. Shares the page shell
// and controls with the GC pages (TeachingHTML.page).

import GMP
import TriColor

extension SchedScenario {
    /// The page for a run of this scenario.
    public func html(_ outcome: SchedOutcome) -> String {
        var steps: [TeachingHTML.Step] = []
        var before: [Int64: String] = [:]
        for f in outcome.frames {
            let places = Self.places(f)
            let moved = Set(places.filter { before[$0.key] != $0.value }.map(\.key))
            before = places
            steps.append(.init(line: f.line, heading: "line \(f.line): \(f.statement)", body: Self.body(f, moved: moved)))
        }
        let subtitle = "GOMAXPROCS=\(procs); the run queues are GMP's own (Sources/GMP/Processor/RunQueue.swift), stepped by SchedulerLab"
            + (outcome.failures.isEmpty ? "" : "; EXPECTATIONS FAILED: " + outcome.failures.joined(separator: "; "))
        return TeachingHTML.page(title: "\(name): the G/M/P scheduler, step by step", subtitle: subtitle, listing: source,
                                 steps: steps, jump: nil, extraCSS: Self.css)
    }

    /// Where each goroutine is: "P0 runnext", "P1 local", "global", "M2".
    static func places(_ f: SchedFrame) -> [Int64: String] {
        var out: [Int64: String] = [:]
        for p in f.queues.procs {
            if let g = p.runnext { out[g] = "P\(p.id) runnext" }
            for g in p.local { out[g] = "P\(p.id) local" }
        }
        for g in f.queues.global { out[g] = "global" }
        for m in f.machines { if let g = m.g { out[g] = "M\(m.id)" } }
        return out
    }

    static func body(_ f: SchedFrame, moved: Set<Int64>) -> String {
        func g(_ id: Int64) -> String { "<span class=\"g\(moved.contains(id) ? " moved" : "")\" data-g=\"G\(id)\">G\(id)</span>" }
        func queue(_ gs: [Int64]) -> String {
            if gs.isEmpty { return "<span class=\"empty\">empty</span>" }
            if gs.count <= 14 { return gs.map(g).joined(separator: " ") }
            return gs.prefix(8).map(g).joined(separator: " ") + " <span class=\"more\">&#8230; \(gs.count - 12) more &#8230;</span> "
                + gs.suffix(4).map(g).joined(separator: " ")
        }
        var h = "<p class=\"what\">\(xmlEscape(f.what))</p>\n<div class=\"sched\">\n<div class=\"ps\">\n"
        for p in f.queues.procs {
            let holder = f.machines.first { $0.p == p.id }
            h += "<div class=\"p \(p.status)\" data-p=\"P\(p.id)\" data-status=\"\(p.status)\" data-runnext=\"\(p.runnext.map { "G\($0)" } ?? "")\" "
                + "data-local=\"\(p.local.map { "G\($0)" }.joined(separator: " "))\">\n"
            h += "<div class=\"ptitle\">P\(p.id) <span class=\"pstatus\">\(p.status)</span>"
                + (holder.map { " held by M\($0.id)" } ?? "") + "</div>\n"
            h += "<div>runnext: \(p.runnext.map(g) ?? "<span class=\"empty\">none</span>")</div>\n"
            h += "<div>local queue (\(p.local.count)): \(queue(p.local))</div>\n</div>\n"
        }
        h += "</div>\n<div class=\"global\" data-global=\"\(f.queues.global.map { "G\($0)" }.joined(separator: " "))\">"
            + "global queue (\(f.queues.global.count)): \(queue(f.queues.global))</div>\n<div class=\"ms\">\n"
        for m in f.machines {
            let state = m.state.rawValue
            let gName = m.g.map { "G\($0)" } ?? "", pName = m.p.map { "P\($0)" } ?? ""
            let running: String = m.g.map { " running " + g($0) } ?? (m.state == .running ? " on g0, no goroutine yet" : "")
            let on: String = m.p == nil ? " (no P)" : " on " + pName
            h += "<div class=\"m \(state)\" data-m=\"M\(m.id)\" data-state=\"\(state)\" data-g=\"\(gName)\" data-p=\"\(pName)\">"
            h += "<b>M\(m.id)</b> <span class=\"state\">\(state)</span>" + running + on + "</div>\n"
        }
        if f.machines.isEmpty { h += "<div class=\"empty\">no M yet</div>\n" }
        return h + "</div>\n</div>\n"
    }

    static let css = """
        .what { font-weight: bold; background: #f3f0e0; padding: 6px; border-left: 4px solid #d60; }
        .sched { display: flex; flex-direction: column; gap: 10px; }
        .ps { display: flex; flex-wrap: wrap; gap: 10px; }
        .p { border: 2px solid #111; border-radius: 6px; padding: 6px; min-width: 220px; max-width: 420px; }
        .p.idle { border-style: dashed; color: #555; }
        .p.syscall { border-style: double; border-width: 4px; }
        .ptitle { font-weight: bold; }
        .pstatus, .state { text-transform: uppercase; font-size: 11px; border: 1px solid #111; padding: 0 3px; }
        .g { display: inline-block; border: 1px solid #111; border-radius: 3px; padding: 0 3px; margin: 1px; font: 12px monospace; background: #fff; }
        .g.moved { background: #ffe28a; border-width: 2px; font-weight: bold; }
        .g.moved::after { content: "*"; }
        .empty, .more { color: #666; font-style: italic; }
        .global { border: 2px solid #111; padding: 6px; border-radius: 6px; }
        .ms { display: flex; flex-wrap: wrap; gap: 8px; }
        .m { border: 1px solid #111; border-radius: 12px; padding: 3px 8px; }
        .m.spinning { border-style: dashed; border-width: 2px; }
        .m.idle { color: #666; border-style: dotted; }
        .m.syscall { border-width: 3px; border-style: double; }

        """
}
