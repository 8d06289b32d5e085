// swift-tools-version:5.9
//
// Vault for Apple platforms: the UniFFI-generated Swift over vault-core,
// plus a thin idiomatic layer.
//
// Neither the XCFramework nor the generated Swift is committed. Build both on
// a Mac first (see README.md):
//
//   bindings/swift/build-xcframework.sh                 # app build
//   bindings/swift/build-xcframework.sh --test-vectors  # before `swift test`
import PackageDescription

// SwiftPM has no version field: a dependent asks for a version and SwiftPM
// resolves it to the git tag of that name (`0.1.0` or `v0.1.0`). This constant
// is the version that tag must carry, the one every Vault package shares
// (Cargo.toml [workspace.package]); test-vectors/tests/versions.rs checks it.
let vaultVersion = "0.1.0"

let package = Package(
    name: "Vault",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "Vault", targets: ["Vault"]),
    ],
    targets: [
        // Static libvault_ffi for every Apple slice, with Headers/VaultCoreFFI.h
        // and Headers/module.modulemap (C module `VaultCoreFFI`).
        .binaryTarget(name: "VaultCoreFFI", path: "VaultCoreFFI.xcframework"),
        // The UniFFI-generated Swift (VaultFFI.swift, copied here by
        // bindings/ffi/generate.sh).
        .target(name: "VaultFFI", dependencies: ["VaultCoreFFI"], path: "Sources/VaultFFI"),
        // Idiomatic helpers; re-exports VaultFFI.
        .target(name: "Vault", dependencies: ["VaultFFI"], path: "Sources/Vault"),
        // The shared vector suite and the round trip. Needs a --test-vectors build.
        .testTarget(name: "VaultTests", dependencies: ["Vault"], path: "Tests/VaultTests"),
    ]
)
