import Foundation
import Testing

/// The "done when": a package outside this repository defines a barrier, registers
/// it, and gets an ablation-style verdict from the property checker and a gcbench table row,
/// using only public API (the products TriColor, TriColorLab and GCBenchSuites). The test
/// writes that package into a temporary directory, builds it with `swift build` (a clean
/// build of the whole dependency graph: minutes) and runs it, so it runs only with
/// `TRICOLOR_OUTSIDE_PACKAGE=1` (about a minute here with a warm module cache).
@Suite struct OutsidePackageTests {
    /// This repository's root (three levels above this file).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The outside package's program: the README's "Writing your own collector" example.
    static let program = """
        import Foundation
        import GCBenchSuites
        import TriColor
        import TriColorLab

        // Dijkstra's insertion barrier with allocate-white: objects allocated while marking
        // start white; a store shades them, and the stack re-scan finds those only a stack holds.
        let mine = try CollectorKind.register(name: "insertionWhite", plan: BarrierPlan(
            shadeOld: false, shadeNew: .always, stacks: .concurrentThenRescan,
            allocateBlack: false, invariant: .strong))
        // The same without the re-scan: claims nothing, and should be caught.
        let broken = try CollectorKind.register(name: "insertionWhiteNoRescan", plan: BarrierPlan(
            shadeOld: false, shadeNew: .always, stacks: .concurrentOnce,
            allocateBlack: false, invariant: .none))

        for kind in [mine, broken] {
            var check = CheckConfiguration(collector: kind)
            check.seeds = 300
            check.shrink = false
            let report = PropertyCheck.run(check)
            let verdict = (report.failures == 0) == kind.isSafe ? "as claimed" : "WRONG"
            print("\\(report.summaryLine) claims=\\(kind.plan.invariant) verdict=\\(verdict)")
            if let failure = report.firstFailure { print("  first failure: \\(failure.message)") }
        }
        // A gcbench table: the new collector beside a built-in.
        exit(GCBenchDriver.run(["--suite", "alloc", "--workload", "binary-trees", "--depth", "12",
                                "--collector", "insertionWhite,hybrid", "--procs", "1", "--repeat", "1"]))
        """

    /// The outside package's manifest; `identity` is how SwiftPM names a path dependency
    /// (its directory's name).
    static func manifest(identity: String) -> String {
        """
        // swift-tools-version: 6.0
        import PackageDescription

        let package = Package(
            name: "MyCollector",
            dependencies: [.package(path: "\(repository.path)")],
            targets: [
                .executableTarget(name: "my-collector", dependencies: [
                    .product(name: "TriColor", package: "\(identity)"),
                    .product(name: "TriColorLab", package: "\(identity)"),
                    .product(name: "GCBenchSuites", package: "\(identity)"),
                ], path: "Sources"),
            ],
            swiftLanguageModes: [.v6]
        )
        """
    }

    /// Runs `arguments` in `directory`; returns the exit status and the combined output.
    static func run(_ arguments: [String], in directory: URL) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        p.currentDirectoryURL = directory
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["TRICOLOR_OUTSIDE_PACKAGE"] == "1"))
    func anOutsidePackageRegistersChecksAndBenchmarksItsBarrier() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tricolor-outside-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("Sources"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.manifest(identity: Self.repository.lastPathComponent.lowercased())
            .write(to: dir.appendingPathComponent("Package.swift"), atomically: true, encoding: .utf8)
        try Self.program.write(to: dir.appendingPathComponent("Sources/main.swift"), atomically: true, encoding: .utf8)

        let (built, buildLog) = try Self.run(["swift", "build"], in: dir)
        try #require(built == 0, "swift build failed:\n\(buildLog.suffix(4000))")
        let (status, output) = try Self.run(["swift", "run", "--skip-build", "my-collector"], in: dir)
        print(output)
        #expect(status == 0, "\(output.suffix(4000))")
        #expect(output.contains("collector=insertionWhite seeds=300 failures=0"), "\(output)")
        #expect(output.contains("claims=strong verdict=as claimed"), "\(output)")
        #expect(output.contains("collector=insertionWhiteNoRescan") && output.contains("claims=none verdict=as claimed"), "\(output)")
        #expect(output.contains("first failure: GC: checkmark: reachable object"), "\(output)")
        let rows = output.split(separator: "\n").filter { $0.hasPrefix("insertionWhite ") }
        #expect(rows.count == 1, "no gcbench row for insertionWhite:\n\(output)")
    }
}
