// Campaign reports: a check split over processes and machines, merged back exactly.
//
// A campaign is one `tricolor check` (one collector, or the ablation table's collectors)
// whose seeds are dealt out in `SeedSlice`s: slice i of n runs the seed indices congruent
// to i mod n. Each slice's run writes a `CampaignReport` (JSON), and `merge` combines
// reports into the report of their union, which must itself be a slice (all of them
// together: the whole campaign). Because a serial run counts every seed and remembers the
// first failing one, the merge is exact: seeds, schedules, failures and errors add up, and
// the first failure is the one with the smallest seed index over all the reports, which is
// the one the serial run meets first. Shrinking it (deterministic: the program comes from
// its seed, the schedule from its replay string) then gives the same counterexample too.
// Only the time differs: a merge reports the longest slice's seconds (the campaign's wall
// time when the slices ran side by side).
//
// The format is versioned (`format`); `settings` records everything that selects the
// programs and schedules, and reports with different settings do not merge.

import Foundation
import TriColor

/// One slice's (or a merged campaign's) results, as written by `tricolor check --json`.
public struct CampaignReport: Codable, Equatable, Sendable {
    public static let currentFormat = "tricolor-check/1"

    /// What selects the programs and schedules of a campaign.
    public struct Settings: Codable, Equatable, Sendable {
        public var scheduler: String
        public var seeds: Int
        public var firstSeed: UInt64
        public var goroutines: Int
        public var ops: Int
        public var maxObjects: Int
        public var maxChildren: Int
        public var schedulesPerSeed: Int
        public var pctDepth: Int
        public var exhaustiveBound: Int
        public var exhaustiveMaxSchedules: Int
        public var checkLevel: String
        public var generator: String

        public init(_ c: CheckConfiguration) {
            scheduler = c.scheduler.rawValue
            seeds = c.seeds
            firstSeed = c.firstSeed
            goroutines = c.shape.goroutines
            ops = c.shape.ops
            maxObjects = c.shape.maxObjects
            maxChildren = c.shape.maxChildren
            schedulesPerSeed = c.schedulesPerSeed
            pctDepth = c.pctDepth
            exhaustiveBound = c.exhaustiveBound
            exhaustiveMaxSchedules = c.exhaustiveMaxSchedules
            checkLevel = c.checkLevel.rawValue
            generator = c.shape.bias.rawValue
        }

        /// The configuration these settings describe (collector left to the caller), or
        /// a message naming the field that does not parse.
        public func configuration(collector: CollectorKind) throws(PropertyError) -> CheckConfiguration {
            var c = CheckConfiguration(collector: collector)
            guard let s = ExplorationScheduler(rawValue: scheduler) else { throw .badReport("unknown scheduler '\(scheduler)'") }
            guard let l = CheckLevel(rawValue: checkLevel) else { throw .badReport("unknown check level '\(checkLevel)'") }
            guard let b = GeneratorBias(rawValue: generator) else { throw .badReport("unknown generator '\(generator)'") }
            guard seeds >= 1, goroutines >= 1, ops >= 0, maxObjects >= 2, maxChildren >= 0, schedulesPerSeed >= 1, pctDepth >= 1
            else { throw .badReport("settings out of range") }
            c.scheduler = s
            c.seeds = seeds
            c.firstSeed = firstSeed
            c.shape = ProgramShape(goroutines: goroutines, ops: ops, maxObjects: maxObjects, maxChildren: maxChildren, bias: b)
            c.schedulesPerSeed = schedulesPerSeed
            c.pctDepth = pctDepth
            c.exhaustiveBound = exhaustiveBound
            c.exhaustiveMaxSchedules = exhaustiveMaxSchedules
            c.checkLevel = l
            return c
        }
    }

    /// The first failing seed of a run.
    public struct Failure: Codable, Equatable, Sendable {
        public var seed: UInt64
        /// 1-based index among all the campaign's seeds (`CheckReport.seedsUntilFirstFailure`).
        public var index: Int
        /// Random and PCT: 1-based index of its failing schedule among all the campaign's
        /// schedules (`CheckReport.schedulesUntilFirstFailure`).
        public var schedule: Int?
        /// An oracle fired (otherwise the run failed some other way).
        public var gcFailure: Bool
        public var message: String
        public var replay: String
    }

    /// One collector's results.
    public struct Run: Codable, Equatable, Sendable {
        public var collector: String
        public var seedsRun: Int
        public var schedules: Int
        public var failures: Int
        public var errors: Int
        public var seconds: Double
        public var firstFailure: Failure?
    }

    public var format: String
    /// Whether this is `--ablations` (the table) rather than one collector.
    public var ablations: Bool
    public var settings: Settings
    /// The seed slice the report covers (0-based index; `tricolor check --shard I/N` is
    /// index I-1 of N).
    public var slice: SeedSlice
    public var runs: [Run]

    public init(ablations: Bool, config: CheckConfiguration, reports: [CheckReport]) {
        format = Self.currentFormat
        self.ablations = ablations
        settings = Settings(config)
        slice = config.slice
        runs = reports.map { r in
            Run(collector: r.collector.rawValue, seedsRun: r.seedsRun, schedules: r.schedules, failures: r.failures,
                errors: r.errors, seconds: r.seconds,
                firstFailure: r.firstFailure.map { f in
                    Failure(seed: r.firstFailureSeed!, index: r.seedsUntilFirstFailure!, schedule: r.schedulesUntilFirstFailure,
                            gcFailure: f.isGCFailure,
                            message: f.message, replay: f.replay)
                })
        }
    }

    /// The runs as `CheckReport`s (without counterexamples), for printing.
    public func checkReports() throws(PropertyError) -> [CheckReport] {
        let c = try settings.configuration(collector: .hybrid)
        var out: [CheckReport] = []
        for run in runs {
            guard let kind = CollectorKind(rawValue: run.collector) else { throw .badReport("unknown collector '\(run.collector)'") }
            var r = CheckReport(collector: kind, scheduler: c.scheduler)
            r.seedsRun = run.seedsRun
            r.schedules = run.schedules
            r.failures = run.failures
            r.errors = run.errors
            r.seconds = run.seconds
            if let f = run.firstFailure {
                r.seedsUntilFirstFailure = f.index
                r.schedulesUntilFirstFailure = f.schedule
                r.firstFailureSeed = f.seed
                r.firstFailure = RunOutcome(verdict: f.gcFailure ? .gcFailure(f.message) : .error(f.message),
                                            replay: f.replay, decisions: 0, cycles: 0, trace: [])
            }
            out.append(r)
        }
        return out
    }

    public func encoded() -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? e.encode(self)) ?? Data()
    }

    /// Merges reports of disjoint slices of one campaign into the report of their union.
    /// `names` (one per report, e.g. file names) label the errors. Throws when the
    /// formats, settings or collectors differ, a slice comes twice, or the union is not a
    /// slice (naming the missing ones).
    public static func merge(_ reports: [CampaignReport], names: [String]) throws(PropertyError) -> CampaignReport {
        guard let first = reports.first else { throw .badReport("no reports to merge") }
        for (r, name) in zip(reports, names) {
            if r.format != currentFormat { throw .badReport("\(name): format '\(r.format)', want '\(currentFormat)'") }
            if r.settings != first.settings || r.ablations != first.ablations {
                throw .badReport("\(name) was made with other settings than \(names[0]) (\(settingsDiff(first, r)))")
            }
            if r.runs.map(\.collector) != first.runs.map(\.collector) {
                throw .badReport("\(name) checks other collectors than \(names[0])")
            }
        }
        // The union: all slices of the finest count, grouped into one slice of a coarser one.
        let fine = reports.map(\.slice.count).max()!
        var have: [Int: String] = [:]
        for (r, name) in zip(reports, names) {
            guard fine % r.slice.count == 0 else {
                throw .badReport("\(name) is slice \(r.slice.index + 1)/\(r.slice.count), which does not divide into \(fine) slices")
            }
            for j in 0..<(fine / r.slice.count) {
                let k = r.slice.index + r.slice.count * j
                if let other = have[k] { throw .badReport("\(name) and \(other) both cover slice \(k + 1)/\(fine)") }
                have[k] = name
            }
        }
        let m = have.count
        let lowest = have.keys.min()!
        let union = fine % m == 0 ? SeedSlice(index: lowest % (fine / m), count: fine / m) : nil
        let expected = union.map { u in Set((0..<m).map { u.index + u.count * $0 }) }
        guard let union, expected == Set(have.keys) else {
            let coarse = union ?? SeedSlice(index: 0, count: 1)
            let missing = (0..<fine).filter { $0 % coarse.count == coarse.index % coarse.count && have[$0] == nil }
            throw .badReport("the reports do not make up a slice: missing "
                + missing.prefix(8).map { "\($0 + 1)/\(fine)" }.joined(separator: ", ") + (missing.count > 8 ? ", ..." : ""))
        }
        var out = first
        out.slice = union
        out.runs = first.runs.indices.map { i in
            var run = first.runs[i]
            for r in reports.dropFirst() {
                let o = r.runs[i]
                run.seedsRun += o.seedsRun
                run.schedules += o.schedules
                run.failures += o.failures
                run.errors += o.errors
                run.seconds = max(run.seconds, o.seconds)
                if let f = o.firstFailure, run.firstFailure.map({ f.index < $0.index }) ?? true { run.firstFailure = f }
            }
            return run
        }
        return out
    }

    static func settingsDiff(_ a: CampaignReport, _ b: CampaignReport) -> String {
        if a.ablations != b.ablations { return "--ablations in one only" }
        let ma = Mirror(reflecting: a.settings).children, mb = Mirror(reflecting: b.settings).children
        return zip(ma, mb).filter { "\($0.value)" != "\($1.value)" }
            .map { "\($0.label ?? "?") \($0.value) vs \($1.value)" }.joined(separator: ", ")
    }

    /// Decodes a report, with JSON syntax errors and wrong fields reported as
    /// `name:line:column: message`.
    public static func decode(_ data: Data, name: String) throws(PropertyError) -> CampaignReport {
        let r: CampaignReport
        do {
            r = try JSONDecoder().decode(CampaignReport.self, from: data)
        } catch let e as DecodingError {
            throw .badReport(describe(e, data: data, name: name))
        } catch {
            throw .badReport("\(name):1:1: \(error)")
        }
        if r.format != currentFormat { throw .badReport("\(name):1:1: format '\(r.format)', want '\(currentFormat)'") }
        guard r.slice.count >= 1, r.slice.index >= 0, r.slice.index < r.slice.count else {
            throw .badReport("\(name):1:1: slice \(r.slice.index)/\(r.slice.count) out of range")
        }
        do { _ = try r.checkReports() } catch { throw .badReport("\(name):1:1: \(error.message)") }
        return r
    }

    static func describe(_ e: DecodingError, data: Data, name: String) -> String {
        let text = String(decoding: data, as: UTF8.self)
        func path(_ p: [any CodingKey]) -> String {
            p.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        /// Where the last key of `p` appears in the text (the best place to point at).
        func location(_ p: [any CodingKey]) -> (Int, Int) {
            guard let key = p.last(where: { $0.intValue == nil }),
                  let r = text.range(of: "\"\(key.stringValue)\"") else { return (1, 1) }
            return lineColumn(text, r.lowerBound)
        }
        switch e {
        case .dataCorrupted(let c):
            if let syntax = JSONSyntax.firstError(in: text) {
                return "\(name):\(syntax.line):\(syntax.column): not valid JSON: want \(syntax.expected)"
            }
            let (line, col) = c.codingPath.isEmpty ? (1, 1) : location(c.codingPath)
            return "\(name):\(line):\(col): field '\(path(c.codingPath))': \(c.debugDescription)"
        case .keyNotFound(let k, let c):
            let (line, col) = c.codingPath.isEmpty ? (1, 1) : location(c.codingPath)
            return "\(name):\(line):\(col): missing field '\(path(c.codingPath + [k]))'"
        case .typeMismatch(let t, let c), .valueNotFound(let t, let c):
            let (line, col) = location(c.codingPath)
            return "\(name):\(line):\(col): field '\(path(c.codingPath))' wants \(t)"
        @unknown default:
            return "\(name):1:1: \(e)"
        }
    }

    static func lineColumn(_ text: String, _ at: String.Index) -> (Int, Int) {
        var line = 1, col = 1
        for ch in text[..<at] {
            if ch == "\n" { line += 1; col = 1 } else { col += 1 }
        }
        return (line, col)
    }
}
