// swift-tools-version: 6.0
// TriColor: concurrent garbage collectors beside real goroutines.
// Layering: CContext <- GMP <- TriColor <- {tricolor, gcbench, tests}. Zero package dependencies.
import PackageDescription

let package = Package(
    name: "TriColor",
    products: [
        .library(name: "GMP", targets: ["GMP"]),
        .executable(name: "gcbench", targets: ["gcbench"]),
    ],
    targets: [
        .target(name: "CContext", path: "Sources/CContext"),
        .target(name: "GMP", dependencies: ["CContext"], path: "Sources/GMP"),
        .executableTarget(name: "gcbench", dependencies: ["GMP"], path: "Benchmarks/GCBench"),
        .testTarget(name: "GMPTests", dependencies: ["GMP", "CContext"], path: "Tests/GMPTests"),
    ]
)
