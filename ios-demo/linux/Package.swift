// swift-tools-version:5.9
// SangamKit's platform-free core on Linux, for `swift test` against the Rust library (the iOS
// app's own manifest is ../Package.swift, with the XCFramework). ios-demo/linux/run.sh
// assembles this package: the uniffi header and a Linux module map in Sources/SangamFFI, the
// generated Sangam.swift, SangamKit's sources without the Apple-only ones (Connectivity uses
// Network), and the tests. SwiftUI, Combine, Network and Security do not exist on Linux:
// LinuxShims.swift stands in for Combine's ObservableObject and @Published, which the model
// only declares (the views observe them).
import PackageDescription

let package = Package(
    name: "SangamKitLinux",
    products: [
        .library(name: "SangamKit", targets: ["SangamKit"]),
    ],
    targets: [
        .systemLibrary(name: "SangamFFI", path: "Sources/SangamFFI"),
        .target(name: "Sangam", dependencies: ["SangamFFI"], path: "Sources/Sangam"),
        .target(name: "SangamKit", dependencies: ["Sangam"], path: "Sources/SangamKit"),
        .testTarget(name: "SangamKitTests", dependencies: ["SangamKit"], path: "Tests/SangamKitTests"),
    ]
)
