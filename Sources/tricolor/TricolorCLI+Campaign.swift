// Campaigns: `tricolor check` on every core and across machines.
//
//   tricolor check ... --jobs N        N worker processes (default: the core count), each
//                                      running a disjoint slice of the seeds
//   tricolor check ... --shard I/N     only the I-th (1-based) of N disjoint slices
//   tricolor check ... --json FILE     also write the results as a JSON campaign report
//   tricolor merge REPORT...           combine the reports of a campaign's slices and print
//                                      what the serial run prints
//
// Slice I of N holds the seed indices congruent to I-1 mod N (`SeedSlice`), so slices
// interleave over the seed range and take about the same time. `--jobs N` spawns this
// executable N times with `--shard` slices of its own slice (`SeedSlice.split`), `--jobs
// 1` and a hidden `--worker` flag; each worker writes a JSON report to a temporary file
// and its progress (`progress SEEDS FAILURES` lines) to its standard error, and the parent
// merges the reports (`CampaignReport.merge`, exact: same counts and same first failure as
// a serial run) and shrinks the first failure itself. So a serial run, `--jobs N`, and
// `--shard`s merged with `tricolor merge` print the same summary (apart from
// schedules_per_s) and the same counterexample. A Slurm array or a CI matrix runs a campaign
// as `tricolor check ... --shard $I/$N --json r$I.json`, then `tricolor merge r*.json`.
//
// Runs that take more than a few seconds report progress on standard error every two
// seconds: seeds done, seeds/s, failing seeds so far, and the estimated time left.

import Foundation
import Synchronization
import GMP
import TriColor
import TriColorLab

extension TricolorCLI {
    static let campaignUsage = """
            --generator G      uniform (default) or barrier (biased toward barrier-bug patterns)
            --jobs N           worker processes (default: the core count, \(ProcessInfo.processInfo.activeProcessorCount) here)
            --shard I/N        run only the I-th of N disjoint slices of the seeds (1 <= I <= N)
            --json FILE        also write the results as a JSON report (for tricolor merge)
            --shrink-stats N   shrink the first N failures of each collector checked (each ablation
                               with --ablations); print median and max size in operations
          merge REPORT...      combine the JSON reports of a campaign's shards; prints what the
                               serial run prints (and shrinks its first failure)
        """

    /// The campaign options of `check`.
    struct CampaignOptions {
        var jobs: Int?
        var shard: SeedSlice?
        var json: String?
        /// Run as a worker of `--jobs`: progress lines on stderr, nothing on stdout.
        var worker = false
        /// `--shrink-stats N` (TricolorCLI+ShrinkStats.swift).
        var shrinkStats: Int?
    }

    /// Parses one campaign option at `args[i]` (advancing `i` past its value). Returns nil
    /// if `args[i]` is not a campaign option, false after reporting bad input.
    static func parseCampaignOption(_ args: [String], _ i: inout Int, _ o: inout Options, err: (String) -> Void) -> Bool? {
        func value() -> String? {
            guard i + 1 < args.count else { _ = bad("\(args[i]) wants a value", err); return nil }
            i += 1
            return args[i]
        }
        switch args[i] {
        case "--jobs":
            guard let v = value() else { return false }
            guard let n = Int(v), n >= 1, n <= 256 else { _ = bad("--jobs wants an integer in 1...256, got '\(v)'", err); return false }
            o.campaign.jobs = n
        case "--shard":
            guard let v = value() else { return false }
            let parts = v.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 1, k <= n else {
                _ = bad("--shard wants I/N with 1 <= I <= N, got '\(v)'", err)
                return false
            }
            o.campaign.shard = SeedSlice(index: k - 1, count: n)
        case "--json":
            guard let v = value() else { return false }
            o.campaign.json = v
        case "--generator":
            guard let v = value() else { return false }
            guard let b = GeneratorBias(rawValue: v) else {
                _ = bad("unknown generator '\(v)' (want \(GeneratorBias.allCases.map(\.rawValue).joined(separator: " or ")))", err)
                return false
            }
            o.config.shape.bias = b
        case "--shrink-stats":
            guard let v = value() else { return false }
            guard let n = Int(v), n >= 1 else { _ = bad("--shrink-stats wants a positive integer, got '\(v)'", err); return false }
            o.campaign.shrinkStats = n
        case "--worker": o.campaign.worker = true
        default: return nil
        }
        return true
    }

    /// Runs a parsed `check`: serially or in worker processes, then writes the JSON report
    /// and prints the summary or table (and the first failure's counterexample).
    static func campaign(_ o: Options, arguments: [String], executable: URL?, out: (String) -> Void, err: (String) -> Void) -> Int32 {
        if let n = o.campaign.shrinkStats { return shrinkStats(o, failures: n, out: out) }
        var base = o.config
        base.stopAtFirstFailure = false
        base.shrink = false
        base.slice = o.campaign.shard ?? .all
        let collectors = o.ablations ? CollectorKind.allCases : [o.config.collector]
        let jobs = o.trace || o.campaign.worker ? 1 : min(o.campaign.jobs ?? ProcessInfo.processInfo.activeProcessorCount,
                                                          max(1, base.slice.size(of: base.seeds)))
        let total = base.slice.size(of: base.seeds) * collectors.count
        let report: CampaignReport
        if jobs == 1 {
            report = withoutActuallyEscaping(err) { err in
                let meter = ProgressMeter(total: total)
                var before = (seeds: 0, failures: 0)
                var reports: [CheckReport] = []
                for kind in collectors {
                    var c = base
                    c.collector = kind
                    let r = PropertyCheck.run(c) { r in
                        let seeds = before.seeds + r.seedsRun, failures = before.failures + r.failures
                        if o.campaign.worker {
                            meter.throttled(every: 0.2) { err("progress \(seeds) \(failures)") }
                        } else {
                            meter.update(seeds: seeds, failures: failures, err)
                        }
                    }
                    before.seeds += r.seedsRun
                    before.failures += r.failures
                    reports.append(r)
                }
                return CampaignReport(ablations: o.ablations, config: base, reports: reports)
            }
        } else {
            switch runWorkers(jobs, base: base, arguments: arguments, executable: executable ?? siblingExecutable(), total: total, err: err) {
            case .success(let r): report = r
            case .failure(let e):
                err("tricolor: \(e.message)")
                return 2
            }
        }
        if let path = o.campaign.json {
            do { try report.encoded().write(to: URL(fileURLWithPath: path)) } catch {
                err("tricolor: cannot write \(path): \(error.localizedDescription)")
                return 2
            }
        }
        if o.campaign.worker { return 0 }
        return printCampaign(report, shrink: o.config.shrink, htmlDir: o.htmlDir, out: out, err: err)
    }

    /// Prints a campaign's summary line (and counterexample) or its ablation table.
    static func printCampaign(_ report: CampaignReport, shrink: Bool, htmlDir: String? = nil,
                              out: (String) -> Void, err: (String) -> Void) -> Int32 {
        let reports: [CheckReport], config: CheckConfiguration
        do {
            reports = try report.checkReports()
            config = try report.settings.configuration(collector: reports.first?.collector ?? .hybrid)
        } catch {
            err("tricolor: \(error.message)")
            return 2
        }
        if report.ablations { return ablationTable(reports, shape: config.shape, out: out) }
        guard let r = reports.first else { return 0 }
        out(r.summaryLine)
        if let f = r.firstFailure, let seed = r.firstFailureSeed {
            let program = ProgramGenerator.program(seed: seed, shape: config.shape)
            let ce = PropertyCheck.counterexample(collector: r.collector, seed: seed, scheduler: r.scheduler, program: program,
                                                  outcome: f, schedule: .replay(f.replay), shrink: shrink && f.isGCFailure,
                                                  checkLevel: config.checkLevel)
            out(ce.report)
            if let dir = htmlDir {
                let path = "\(dir)/counterexample-\(ce.collector.rawValue)-seed\(ce.seed).html"
                do {
                    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                    try TeachingDocument(token: ce.token, outcome: ce.outcome).html.write(toFile: path, atomically: true, encoding: .utf8)
                    out("wrote \(path)")
                } catch {
                    err("tricolor: cannot write \(path): \(error)")
                }
            }
            return 1
        }
        return r.failures == 0 ? 0 : 1
    }

    /// `tricolor merge REPORT...`.
    static func merge(_ files: [String], out: (String) -> Void, err: (String) -> Void) -> Int32 {
        guard !files.isEmpty, !files.contains(where: { $0.hasPrefix("--") }) else { return bad("merge wants REPORT files", err) }
        var reports: [CampaignReport] = []
        for f in files {
            guard let data = FileManager.default.contents(atPath: f) else {
                err("tricolor: \(f):1:1: cannot read the file")
                return 2
            }
            do { reports.append(try CampaignReport.decode(data, name: f)) } catch {
                err("tricolor: \(error.message)")
                return 2
            }
        }
        let merged: CampaignReport
        do { merged = try CampaignReport.merge(reports, names: files) } catch {
            err("tricolor: \(error.message)")
            return 2
        }
        return printCampaign(merged, shrink: true, out: out, err: err)
    }

    /// A `tricolor` beside this process's executable (tests run the CLI's logic inside the
    /// test bundle, which `swift build` puts beside `tricolor`).
    static func siblingExecutable() -> URL? {
        guard let me = Bundle.main.executableURL?.resolvingSymlinksInPath() else { return nil }
        let sibling = me.deletingLastPathComponent().appendingPathComponent("tricolor")
        return FileManager.default.isExecutableFile(atPath: sibling.path) ? sibling : nil
    }

    /// What a worker has written to its standard error so far. Written by the pipe's
    /// handler thread, read by the parent's loop: `lock` protects every field.
    final class WorkerOutput: Sendable {
        struct State {
            var pending = Data()
            var seeds = 0, failures = 0
            var other: [String] = []
        }
        let lock = Mutex(State())

        func append(_ data: Data) {
            lock.withLock { s in
                s.pending.append(data)
                while let nl = s.pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: s.pending[s.pending.startIndex..<nl], as: UTF8.self)
                    s.pending.removeSubrange(s.pending.startIndex...nl)
                    let f = line.split(separator: " ")
                    if f.count == 3, f[0] == "progress", let a = Int(f[1]), let b = Int(f[2]) {
                        (s.seeds, s.failures) = (a, b)
                    } else {
                        s.other.append(line)
                    }
                }
            }
        }
    }

    /// Runs `jobs` workers over slices of `base.slice` and merges their reports.
    static func runWorkers(_ jobs: Int, base: CheckConfiguration, arguments: [String], executable: URL?, total: Int,
                           err: (String) -> Void) -> Result<CampaignReport, PropertyError> {
        guard let exe = executable else {
            return .failure(.badReport("cannot find the tricolor executable to run workers (use --jobs 1)"))
        }
        // The worker's arguments: ours without the campaign options, plus its slice.
        var passed: [String] = []
        var i = 0
        while i < arguments.count {
            switch arguments[i] {
            case "--jobs", "--shard", "--json": i += 2
            case "--trace": i += 1
            default:
                passed.append(arguments[i])
                i += 1
            }
        }
        let dir = FileManager.default.temporaryDirectory
        let tag = UUID().uuidString
        var workers: [(Process, WorkerOutput, URL)] = []
        defer { for (_, _, url) in workers { try? FileManager.default.removeItem(at: url) } }
        let start = DispatchTime.now().uptimeNanoseconds
        for j in 0..<jobs {
            let s = base.slice.split(j, of: jobs)
            let url = dir.appendingPathComponent("tricolor-\(tag)-\(j).json")
            let p = Process()
            p.executableURL = exe
            p.arguments = ["check"] + passed + ["--shard", "\(s.index + 1)/\(s.count)", "--json", url.path, "--jobs", "1", "--worker"]
            p.standardOutput = FileHandle.nullDevice
            let pipe = Pipe()
            p.standardError = pipe
            let output = WorkerOutput()
            pipe.fileHandleForReading.readabilityHandler = { h in
                let d = h.availableData
                if d.isEmpty { h.readabilityHandler = nil } else { output.append(d) }
            }
            do { try p.run() } catch {
                for (q, _, _) in workers { q.terminate() }
                return .failure(.badReport("cannot start worker \(exe.path): \(error.localizedDescription)"))
            }
            workers.append((p, output, url))
        }
        let meter = ProgressMeter(total: total)
        while workers.contains(where: { $0.0.isRunning }) {
            Thread.sleep(forTimeInterval: 0.1)
            let (seeds, failures) = workers.reduce((0, 0)) { a, w in w.1.lock.withLock { (a.0 + $0.seeds, a.1 + $0.failures) } }
            meter.update(seeds: seeds, failures: failures, err)
        }
        var reports: [CampaignReport] = []
        for (j, (p, output, url)) in workers.enumerated() {
            p.waitUntilExit()
            let other = output.lock.withLock { $0.other }
            guard p.terminationStatus == 0, let data = FileManager.default.contents(atPath: url.path) else {
                return .failure(.badReport("worker \(j + 1) of \(jobs) failed (exit \(p.terminationStatus))"
                    + (other.isEmpty ? "" : ":\n" + other.joined(separator: "\n"))))
            }
            for line in other { err(line) }
            do { reports.append(try CampaignReport.decode(data, name: url.path)) } catch { return .failure(error) }
        }
        do {
            var merged = try CampaignReport.merge(reports, names: workers.map(\.2.lastPathComponent))
            merged.slice = base.slice
            // Throughput over the campaign's wall time, not the slowest worker's own time.
            let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            for k in merged.runs.indices where merged.runs.count == 1 { merged.runs[k].seconds = wall }
            return .success(merged)
        } catch {
            return .failure(error)
        }
    }
}

/// Progress on standard error for runs longer than a few seconds (see the essay above).
/// Used from one thread.
final class ProgressMeter {
    let total: Int
    let start = DispatchTime.now().uptimeNanoseconds
    var lastPrint: UInt64 = 0

    init(total: Int) { self.total = total }

    var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    /// Calls `body` at most once per `every` seconds.
    func throttled(every: Double, _ body: () -> Void) {
        let now = DispatchTime.now().uptimeNanoseconds
        if Double(now - lastPrint) / 1e9 >= every {
            lastPrint = now
            body()
        }
    }

    func update(seeds: Int, failures: Int, _ err: (String) -> Void) {
        let t = elapsed
        guard t >= 3, seeds < total else { return }
        throttled(every: 2) {
            let rate = Double(seeds) / t
            let eta = rate > 0 ? Int((Double(total - seeds) / rate).rounded()) : 0
            err("tricolor: \(seeds)/\(total) seeds, \(Int(rate.rounded())) seeds/s, \(failures) failing, ETA \(eta) s")
        }
    }
}
