// swift-tools-version: 6.0
// TriColor: concurrent garbage collectors beside real goroutines.
// Layering: CContext <- GMP <- TriColor <- {TriColorLab, GCBenchKit, CollectorExamples}
//   <- GCBenchSuites (gcbench's suites and driver, a library) <- {tricolor, gcbench, tests}.
// CollectorExamples uses only TriColor's public API: a model for a collector of one's own.
// Zero package dependencies.
import PackageDescription

let package = Package(
    name: "TriColor",
    products: [
        .library(name: "GMP", targets: ["GMP"]),
        .library(name: "TriColor", targets: ["TriColor"]),
        .library(name: "TriColorLab", targets: ["TriColorLab"]),
        .library(name: "GCBenchKit", targets: ["GCBenchKit"]),
        .library(name: "GCBenchSuites", targets: ["GCBenchSuites"]),
        .library(name: "CollectorExamples", targets: ["CollectorExamples"]),
        .executable(name: "gcbench", targets: ["gcbench"]),
        .executable(name: "tricolor", targets: ["TricolorCLI"]),
        .executable(name: "readme-examples", targets: ["ReadmeExamples"]),
    ],
    targets: [
        .target(name: "CContext", path: "Sources/CContext"),
        .target(name: "GMP", dependencies: ["CContext"], path: "Sources/GMP"),
        .target(name: "TriColor", dependencies: ["GMP", "CContext"], path: "Sources/TriColor"),
        .target(name: "TriColorLab", dependencies: ["TriColor", "GMP"], path: "Sources/TriColorLab"),
        .target(name: "GCBenchKit", dependencies: ["TriColor", "GMP"], path: "Benchmarks/GCBenchKit"),
        .target(name: "CollectorExamples", dependencies: ["TriColor"], path: "Sources/CollectorExamples"),
        .target(name: "GCBenchSuites", dependencies: ["GCBenchKit", "TriColorLab", "GMP", "TriColor", "CContext"], path: "Benchmarks/GCBench"),
        .executableTarget(name: "TricolorCLI", dependencies: ["TriColorLab", "TriColor", "GMP", "CollectorExamples"], path: "Sources/tricolor"),
        .executableTarget(name: "ReadmeExamples", dependencies: ["GMP", "TriColor"], path: "Sources/ReadmeExamples"),
        .executableTarget(name: "gcbench", dependencies: ["GCBenchSuites", "CollectorExamples"], path: "Benchmarks/GCBenchMain"),
        .testTarget(name: "GMPTests", dependencies: ["GMP", "CContext"], path: "Tests/GMPTests"),
        .testTarget(name: "TriColorTests", dependencies: ["TriColor", "GMP", "GCBenchKit"], path: "Tests/TriColorTests"),
        .testTarget(name: "TriColorLabTests", dependencies: ["TriColorLab", "TriColor", "GMP"], path: "Tests/TriColorLabTests"),
        .testTarget(name: "GCBenchKitTests", dependencies: ["GCBenchKit", "TriColor", "GMP"], path: "Tests/GCBenchKitTests"),
        .testTarget(name: "CollectorExamplesTests", dependencies: ["CollectorExamples", "TriColorLab", "TriColor", "GCBenchSuites"],
                    path: "Tests/CollectorExamplesTests"),
        .testTarget(name: "PropertyTests", dependencies: ["TriColorLab", "TriColor", "GMP", "TricolorCLI", "CollectorExamples"], path: "Tests/PropertyTests"),
    ],
    swiftLanguageModes: [.v6]
)
