// swift-tools-version:5.9
// SangamKit: the Rust core for iOS. `SangamFFI` is the XCFramework (static library + C header
// + module map) that build-xcframework.sh builds; `Sangam` is the uniffi-generated Swift that
// the same script copies into Sources/Sangam; `SangamKit` is the thin convenience layer the
// app uses (an ObservableObject over the store that runs every call off the main thread).
import PackageDescription

let package = Package(
    name: "SangamKit",
    platforms: [.iOS(.v16)],
    products: [
        .library(name: "SangamKit", targets: ["SangamKit"]),
    ],
    targets: [
        .binaryTarget(name: "SangamFFI", path: "SangamFFI.xcframework"),
        .target(
            name: "Sangam",
            dependencies: ["SangamFFI"],
            path: "Sources/Sangam",
            exclude: ["README.md"]
        ),
        .target(
            name: "SangamKit",
            dependencies: ["Sangam"],
            path: "Sources/SangamKit"
        ),
    ]
)
