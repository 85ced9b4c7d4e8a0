// swift-tools-version: 6.0
// TriColor: concurrent garbage collectors beside real goroutines.
// Layering: CContext <- GMP <- TriColor <- {TriColorLab, GCBenchKit} <- {tricolor, gcbench, tests}.
// Zero package dependencies.
import PackageDescription

let package = Package(
    name: "TriColor",
    products: [
        .library(name: "GMP", targets: ["GMP"]),
        .library(name: "TriColor", targets: ["TriColor"]),
        .library(name: "TriColorLab", targets: ["TriColorLab"]),
        .library(name: "GCBenchKit", targets: ["GCBenchKit"]),
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
        .executableTarget(name: "TricolorCLI", dependencies: ["TriColorLab", "TriColor", "GMP"], path: "Sources/tricolor"),
        .executableTarget(name: "ReadmeExamples", dependencies: ["GMP", "TriColor"], path: "Sources/ReadmeExamples"),
        .executableTarget(name: "gcbench", dependencies: ["GCBenchKit", "TriColorLab", "GMP", "TriColor", "CContext"], path: "Benchmarks/GCBench"),
        .testTarget(name: "GMPTests", dependencies: ["GMP", "CContext"], path: "Tests/GMPTests"),
        .testTarget(name: "TriColorTests", dependencies: ["TriColor", "GMP", "GCBenchKit"], path: "Tests/TriColorTests"),
        .testTarget(name: "TriColorLabTests", dependencies: ["TriColorLab", "TriColor", "GMP"], path: "Tests/TriColorLabTests"),
        .testTarget(name: "GCBenchKitTests", dependencies: ["GCBenchKit", "TriColor", "GMP"], path: "Tests/GCBenchKitTests"),
        .testTarget(name: "PropertyTests", dependencies: ["TriColorLab", "TriColor", "GMP", "TricolorCLI"], path: "Tests/PropertyTests"),
    ],
    swiftLanguageModes: [.v6]
)
