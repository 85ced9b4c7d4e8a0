// gcbench: compares collectors and measures the scheduler's hot paths (the driver is
// Benchmarks/GCBench/GCBenchDriver.swift). The example collectors of CollectorExamples
// (steele, go119 and their ablations) are registered first, so `--collector steele` works.

import CollectorExamples
import Foundation
import GCBenchSuites

do {
    try CollectorExamples.register()
} catch {
    FileHandle.standardError.write(Data("gcbench: \(error)\n".utf8))
    exit(2)
}
exit(GCBenchDriver.run(Array(CommandLine.arguments.dropFirst())))
