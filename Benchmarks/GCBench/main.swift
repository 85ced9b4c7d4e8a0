import Foundation
import GMP

// gcbench: compares collectors and measures the scheduler's hot paths.
// `swift run -c release gcbench` runs the default suites; `--help` lists options.

enum Suites {
    struct Suite: Sendable { let name: String; let run: @Sendable (Options) -> [BenchResult] }
    static let all: [Suite] = [
        Suite(name: "sched", run: SchedSuite.run),
        Suite(name: "alloc", run: AllocSuite.run),
        Suite(name: "pause", run: PauseSuite.run),
    ]
}

#if DEBUG
let debugBuild = true
#else
let debugBuild = false
#endif

let opts: Options
do {
    opts = try Options.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("gcbench: \(error)\n\(Options.usage)\n".utf8))
    exit(2)
}
if debugBuild {
    let banner = String(repeating: "!", count: 72)
    print("\(banner)\n!! WARNING: gcbench was built in DEBUG mode: numbers are meaningless.\n!! Use: swift run -c release gcbench\n\(banner)")
}
let selected = opts.suites.isEmpty ? Suites.all : Suites.all.filter { opts.suites.contains($0.name) }
var results: [BenchResult] = []
print("gcbench: \(ProcessInfo.processInfo.activeProcessorCount) cores, repeats=\(opts.repeats) (median, min-max)")
for s in selected {
    results += s.run(opts)
}
printTables(results)
if let path = opts.jsonPath {
    do { try writeJSON(results, to: path) } catch {
        FileHandle.standardError.write(Data("gcbench: cannot write \(path): \(error)\n".utf8))
        exit(1)
    }
    print("\nwrote \(path)")
}
