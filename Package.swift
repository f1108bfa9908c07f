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
        .target(name: "Calculation", dependencies: ["CalicoAPI"], swiftSettings: strict),
        .target(name: "Policy", dependencies: ["CalicoAPI"], swiftSettings: strict),
        .target(
            name: "PolicyRendering", dependencies: ["Policy", "CalicoAPI", "NFTables"], swiftSettings: strict),
        .target(
            name: "Dataplane",
            dependencies: ["Calculation", "CalicoAPI", "Netlink", "NFTables", "PolicyRendering", "SystemError"],
            swiftSettings: strict),
        .target(
            name: "Agent",
            dependencies: [
                "Dataplane", "Calculation", "IPAM", "Datastore", "CalicoAPI", "Netlink", "CLinuxSupport", "NFTables",
                "Policy", "PolicyRendering", "SystemError",
            ],
            swiftSettings: strict),

        // The kernel.
        .target(name: "Netlink", dependencies: ["CMnl", "SystemError"], swiftSettings: strict),
        .target(name: "NFTables", dependencies: ["CNftnl", "CMnl", "SystemError"], swiftSettings: strict),

        // Executables and their commands.
        .target(
            name: "TabbyCtlCommands",
            dependencies: [
                "CalicoAPI", "Datastore", "IPAM", "Policy", "SystemError",
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
            name: "calculation-bench", dependencies: ["Calculation", "CalicoAPI"], path: "bench/calculation",
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
        .testTarget(name: "CalculationTests", dependencies: ["Calculation", "CalicoAPI"], swiftSettings: strict),
        .testTarget(name: "PolicyTests", dependencies: ["Policy", "CalicoAPI"], swiftSettings: strict),
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
            name: "AgentTests", dependencies: ["Agent", "CalicoAPI", "Datastore", "Netlink"], swiftSettings: strict),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink", "SystemError"], swiftSettings: strict),
        .testTarget(name: "NFTablesTests", dependencies: ["NFTables", "SystemError"], swiftSettings: strict),
        .testTarget(name: "SystemErrorTests", dependencies: ["SystemError"], swiftSettings: strict),
        .testTarget(
            name: "TabbyctlTests", dependencies: ["TabbyCtlCommands", "CalicoAPI", "Datastore", "Agent", "tabbyctl"],
            swiftSettings: strict),
    ]
)
