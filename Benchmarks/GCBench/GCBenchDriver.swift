import Foundation
import GMP
import GCBenchKit
import TriColor

// gcbench's suite driver: parses the options, runs the selected suites for every selected
// collector, prints the tables and writes the result files. `swift run -c release gcbench`
// runs the default suites; `--help` lists options. Every finished configuration prints a
// progress line on stderr with an estimate of the time left in the whole run (Progress.swift),
// and the closing total names each suite's time.
//
// The driver is a library (GCBenchSuites) so that a program of one's own can run it on
// collectors of its own: register them, then call the driver, and `--collector NAME`
// accepts the new names like the built-ins:
//
//     import GCBenchSuites
//     import TriColor
//     try CollectorKind.register(name: "myBarrier", plan: BarrierPlan(...))
//     exit(GCBenchDriver.run(Array(CommandLine.arguments.dropFirst())))
//
// gcbench itself (Benchmarks/GCBenchMain) registers the CollectorExamples collectors first.

enum Suites {
    struct Suite: Sendable {
        let name: String
        let workloads: [String]
        /// The suite's heap workloads (for --trace); empty for the sched suite.
        let heapWorkloads: @Sendable () -> [HeapWorkload]
        let run: @Sendable (Options) -> [BenchResult]
        /// The progress weight of every configuration `run` runs (Progress.swift).
        let configurations: @Sendable (Options) -> [Double]
        /// Run when no --suite is given.
        var inDefaultRun = true
    }
    static let all: [Suite] = [
        Suite(name: "sched", workloads: SchedSuite.workloads, heapWorkloads: { [] }, run: SchedSuite.run, configurations: SchedSuite.configurations),
        Suite(name: "alloc", workloads: AllocSuite.workloads, heapWorkloads: { AllocSuite.heapWorkloads }, run: AllocSuite.run, configurations: AllocSuite.configurations),
        Suite(name: "pause", workloads: PauseSuite.workloads, heapWorkloads: { PauseSuite.heapWorkloads }, run: PauseSuite.run, configurations: PauseSuite.configurations),
        Suite(name: "mutator", workloads: MutatorSuite.workloads, heapWorkloads: { MutatorSuite.heapWorkloads }, run: MutatorSuite.run, configurations: MutatorSuite.configurations),
        Suite(name: "check", workloads: CheckSuite.workloads, heapWorkloads: { [] }, run: CheckSuite.run, configurations: CheckSuite.configurations),
        Suite(name: "net", workloads: NetSuite.workloads, heapWorkloads: { [NetServer.workload] }, run: NetSuite.run, configurations: NetSuite.configurations),
        Suite(name: "hot", workloads: HotSuite.workloads, heapWorkloads: { [] }, run: HotSuite.run, configurations: HotSuite.configurations, inDefaultRun: false),
    ]
}

#if DEBUG
private let debugBuild = true
#else
private let debugBuild = false
#endif

private func warnDebug() {
    guard debugBuild else { return }
    let banner = String(repeating: "!", count: 72)
    print("\(banner)\n!! WARNING: gcbench was built in DEBUG mode: numbers are meaningless.\n!! Use: swift run -c release gcbench\n\(banner)")
}

private func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("gcbench: \(message)\n".utf8))
    exit(1)
}

/// gcbench as a library call.
public enum GCBenchDriver {
    /// Runs gcbench with `arguments` (without the program name) and returns its exit status
    /// (0). Bad arguments print the usage on standard error and exit with status 2; a file
    /// that cannot be written exits with status 1.
    public static func run(_ arguments: [String]) -> Int32 {
        // The child process of net/echo's child-clients form (NetSuite.swift), not an option.
        if arguments.first == NetSuite.clientFlag { return NetSuite.clientMain(Array(arguments.dropFirst())) }
        let opts = Options.parseOrExit(arguments,
                                       suites: Suites.all.map(\.name), workloads: Suites.all.flatMap(\.workloads))
        warnDebug()
        let selected = opts.suites.isEmpty ? Suites.all.filter(\.inDefaultRun) : Suites.all.filter { opts.suites.contains($0.name) }
        let started = nanotime()
        print("gcbench: \(ProcessInfo.processInfo.activeProcessorCount) cores, procs \(opts.procs.map(String.init).joined(separator: ",")), "
            + "repeats=\(opts.repeats) (median, min-max)\(opts.quick ? ", quick" : "")")
        RunProgress.shared.plan(selected.flatMap { $0.configurations(opts) })
        var results: [BenchResult] = []
        var suiteSeconds: [(String, Double)] = []
        for s in selected {
            let t0 = nanotime()
            results += s.run(opts)
            suiteSeconds.append((s.name, Double(nanotime() - t0) / 1e9))
        }
        printTables(results.filter { $0.suite == "sched" || $0.suite == "hot" || $0.profile == nil && $0.collector == nil })
        Report.printHeapTables(results.filter { $0.collector != nil && $0.suite != "hot" }, mmuCountsSweep: opts.mmuCountsSweep)
        warnDebug()
        print(String(format: "\ngcbench: %.1f s (", Double(nanotime() - started) / 1e9)
            + suiteSeconds.map { "\($0.0) \(String(format: "%.1f", $0.1)) s" }.joined(separator: ", ") + ")")

        let report = Report.report(results, debugBuild: debugBuild)
        if let path = opts.jsonPath {
            do { try report.jsonData().write(to: URL(fileURLWithPath: path)) } catch { fail("cannot write \(path): \(error)") }
            print("wrote \(path) (\(report.runs.count) runs)")
        }
        if let path = opts.csvPath {
            do { try BenchCSV.encode(report.runs).write(toFile: path, atomically: true, encoding: .utf8) } catch { fail("cannot write \(path): \(error)") }
            print("wrote \(path) (\(report.runs.count) runs)")
        }
        if let dir = opts.outDir {
            do {
                let files = try Report.writePlots(results, to: dir)
                print("wrote \(files.count) plots to \(dir)")
            } catch { fail("cannot write plots to \(dir): \(error)") }
        }
        if let path = opts.tracePath {
            do {
                if let what = try Report.writeTrace(selected.flatMap { $0.heapWorkloads() }, opts, to: path) {
                    print("wrote \(path) (trace of \(what))")
                } else {
                    print("--trace: no heap workload selected, nothing traced")
                }
            } catch { fail("cannot write \(path): \(error)") }
        }
        return 0
    }
}
