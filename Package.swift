// swift-tools-version: 6.0
// Tabby: a Calico-compatible node agent. Layering (each target imports only those below it):
//   CMnl, CNftnl, CLinuxSupport   C at the edge
//   SystemError                   the errno type every module's errors use
//   CalicoAPI                     resources, IP types, selectors (pure)
//   Datastore                     the Datastore protocol and the file datastore
//   IPAM                          block affinities, address assignment and release over the Datastore
//   Netlink, NFTables             the kernel, knowing nothing of Calico
//   Calculation                   cluster state -> desired dataplane of one node (pure)
//   Policy                        Calico policy semantics -> what one node must enforce (pure)
//   Dataplane                     reconcilers: desired vs the kernel, applying only the difference
//   Agent                         tabbyd's runtime: start-up, event loop, reload, status, health, metrics
//   TabbyCtlCommands              tabbyctl's commands; tabbyctl is argument wiring only
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "Tabby",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tabbyctl", targets: ["tabbyctl"]),
        .executable(name: "tabbyd", targets: ["tabbyd"]),
        .library(name: "CalicoAPI", targets: ["CalicoAPI"]),
        .library(name: "Datastore", targets: ["Datastore"]),
        .library(name: "IPAM", targets: ["IPAM"]),
        .library(name: "Netlink", targets: ["Netlink"]),
        .library(name: "NFTables", targets: ["NFTables"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        // C at the edge.
        .systemLibrary(name: "CMnl", pkgConfig: "libmnl", providers: [.apt(["libmnl-dev"])]),
        .systemLibrary(name: "CNftnl", pkgConfig: "libnftnl", providers: [.apt(["libnftnl-dev"])]),
        .target(name: "CLinuxSupport"),
        .target(name: "SystemError", dependencies: ["CLinuxSupport"], swiftSettings: strict),

        // The pure core.
        .target(
            name: "CalicoAPI",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: strict),
        .target(name: "Datastore", dependencies: ["CalicoAPI", "SystemError"], swiftSettings: strict),
        .target(name: "IPAM", dependencies: ["CalicoAPI", "Datastore"], swiftSettings: strict),
        .target(name: "ResourceCache", dependencies: ["CalicoAPI"], swiftSettings: strict),
        .target(name: "Calculation", dependencies: ["CalicoAPI", "ResourceCache"], swiftSettings: strict),
        .target(name: "Policy", dependencies: ["CalicoAPI", "ResourceCache"], swiftSettings: strict),
        .target(
            name: "PolicyRendering", dependencies: ["Policy", "CalicoAPI", "NFTables"], swiftSettings: strict),
        .target(
            name: "Dataplane",
            dependencies: ["Calculation", "CalicoAPI", "Netlink", "NFTables", "PolicyRendering", "SystemError"],
            swiftSettings: strict),
        .target(
            name: "Agent",
            dependencies: [
                "Dataplane", "Calculation", "IPAM", "Datastore", "CalicoAPI", "ResourceCache", "Policy",
                "PolicyRendering", "SystemError",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),

        // The kernel.
        .target(name: "Netlink", dependencies: ["CMnl", "SystemError"], swiftSettings: strict),
        .target(name: "NFTables", dependencies: ["CNftnl", "CMnl", "SystemError"], swiftSettings: strict),

        // Executables and their commands.
        .target(
            name: "TabbyCtlCommands",
            dependencies: [
                "CalicoAPI", "Datastore", "IPAM", "Policy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        .executableTarget(name: "tabbyctl", dependencies: ["TabbyCtlCommands"], swiftSettings: strict),
        .executableTarget(name: "tabbyd", dependencies: ["Agent"], swiftSettings: strict),

        // Benchmarks (bench/): each compares against the standard tool in one run where there is one;
        // ipam-bench is also the IPAM concurrency test's worker.
        .executableTarget(
            name: "selector-bench", dependencies: ["CalicoAPI"], path: "bench/selector", swiftSettings: strict),
        .executableTarget(
            name: "ipam-bench", dependencies: ["IPAM", "Datastore", "CalicoAPI"], path: "bench/ipam",
            swiftSettings: strict),
        .executableTarget(
            name: "netlink-bench", dependencies: ["Netlink"], path: "bench/netlink", exclude: ["run.sh"],
            swiftSettings: strict),
        .executableTarget(
            name: "dataplane-bench", dependencies: ["Dataplane", "Calculation", "CalicoAPI", "Netlink"],
            path: "bench/dataplane", exclude: ["run.sh"], swiftSettings: strict),
        .executableTarget(
            name: "nftables-bench", dependencies: ["NFTables", "CNftnl"], path: "bench/nftables", exclude: ["run.sh"],
            swiftSettings: strict),
        .executableTarget(
            name: "policy-bench", dependencies: ["Policy", "CalicoAPI"], path: "bench/policy", swiftSettings: strict),
        .executableTarget(
            name: "policy-dataplane-bench",
            dependencies: ["Dataplane", "PolicyRendering", "Policy", "NFTables", "CNftnl", "CalicoAPI"],
            path: "bench/policy-dataplane", exclude: ["run.sh"], swiftSettings: strict),
        .executableTarget(
            name: "calculation-bench", dependencies: ["Calculation", "CalicoAPI", "ResourceCache"], path: "bench/calculation",
            swiftSettings: strict),
        .executableTarget(
            name: "agent-bench", dependencies: ["Datastore", "IPAM", "CalicoAPI", "Netlink"], path: "bench/agent",
            exclude: ["run.sh"], swiftSettings: strict),

        // Tests.
        .testTarget(name: "CalicoAPITests", dependencies: ["CalicoAPI"], swiftSettings: strict),
        .testTarget(
            name: "DatastoreTests", dependencies: ["Datastore", "CalicoAPI", "datastore-probe"], swiftSettings: strict),
        // A second process for DatastoreTests: writes, increments and gets killed while writing.
        .executableTarget(
            name: "datastore-probe", dependencies: ["Datastore", "CalicoAPI"], path: "Tests/DatastoreProbe",
            swiftSettings: strict),
        .testTarget(
            name: "IPAMTests", dependencies: ["IPAM", "Datastore", "CalicoAPI", "ipam-bench"], swiftSettings: strict),
        .testTarget(
            name: "CalculationTests", dependencies: ["Calculation", "CalicoAPI", "ResourceCache"], swiftSettings: strict),
        .testTarget(name: "ResourceCacheTests", dependencies: ["ResourceCache", "CalicoAPI"], swiftSettings: strict),
        .testTarget(name: "PolicyTests", dependencies: ["Policy", "CalicoAPI", "ResourceCache"], swiftSettings: strict),
        .testTarget(
            name: "DataplaneTests",
            dependencies: [
                "Dataplane", "Calculation", "CalicoAPI", "Netlink", "NFTables", "Policy", "PolicyRendering",
                "SystemError",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "PolicyRenderingTests", dependencies: ["PolicyRendering", "Policy", "CalicoAPI", "NFTables"],
            swiftSettings: strict),
        .testTarget(
            name: "AgentTests",
            dependencies: ["Agent", "CalicoAPI", "Datastore", "Dataplane", "Netlink", "NFTables", "SystemError"],
            swiftSettings: strict),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink", "SystemError"], swiftSettings: strict),
        .testTarget(name: "NFTablesTests", dependencies: ["NFTables", "SystemError"], swiftSettings: strict),
        .testTarget(name: "SystemErrorTests", dependencies: ["SystemError"], swiftSettings: strict),
        .testTarget(
            name: "TabbyctlTests", dependencies: ["TabbyCtlCommands", "CalicoAPI", "Datastore", "Agent", "tabbyctl"],
            swiftSettings: strict),
    ]
)
