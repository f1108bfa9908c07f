// swift-tools-version: 6.0
// Tabby: a Calico-compatible node agent. Layering (each target imports only those below it; data flows
// datastore -> ResourceCache -> Calculation/Policy -> Dataplane -> kernel, see Docs/architecture.md):
//   CMnl, CNftnl, CLinuxSupport   C at the edge
//   NetworkAddress, SystemError   IPv4/IPv6/CIDR/MAC values and the errno type, shared by everything above
//   TabbyRelease                  the release number tabbyd and tabbyctl report
//   CalicoAPI                     resources, YAML/JSON coding, defaults, validation, selectors (pure)
//   Datastore                     the Datastore protocol, the file datastore, an in-memory one
//   Etcd                          the etcd v3 datastore (Calico's key layout) and its client; opening any datastore
//   IPAM                          block affinities, address assignment and release over the Datastore
//   Netlink, NFTables             the kernel, knowing nothing of Calico
//   ResourceCache                 the one cache of interpreted, indexed resources; changes as deltas (pure)
//   Calculation, Policy           deltas -> one node's desired dataplane / policy program, incrementally (pure)
//   PolicyRendering               policy program -> nf_tables ruleset values (pure)
//   BGP                           BGPConfiguration/BGPPeer -> BIRD configuration; BIRD supervision and status
//   Dataplane                     reconcilers over the Kernel and RulesetKernel protocols, real and fake kernels
//   Agent                         tabbyd's runtime: wiring, event loop, reload, status, health, metrics, logs
//   CNI                           the CNI plugins' logic: spec wire format, workload wiring, IPAM calls
//   TabbyCtlCommands              tabbyctl's commands; tabbyd, tabbyctl, tabby, tabby-ipam are wiring only
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "Tabby",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tabbyctl", targets: ["tabbyctl"]),
        .executable(name: "tabbyd", targets: ["tabbyd"]),
        .executable(name: "tabby", targets: ["tabby"]),
        .executable(name: "tabby-ipam", targets: ["tabby-ipam"]),
        .library(name: "NetworkAddress", targets: ["NetworkAddress"]),
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
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // C at the edge.
        .systemLibrary(name: "CMnl", pkgConfig: "libmnl", providers: [.apt(["libmnl-dev"])]),
        .systemLibrary(name: "CNftnl", pkgConfig: "libnftnl", providers: [.apt(["libnftnl-dev"])]),
        .target(name: "CLinuxSupport"),

        // Below everything else.
        .target(name: "NetworkAddress", swiftSettings: strict),
        .target(name: "SystemError", dependencies: ["CLinuxSupport"], swiftSettings: strict),
        // The release number tabbyd and tabbyctl both report.
        .target(name: "TabbyRelease", swiftSettings: strict),

        // The pure core.
        .target(
            name: "CalicoAPI",
            dependencies: ["NetworkAddress", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict),
        .target(name: "Datastore", dependencies: ["CalicoAPI", "SystemError"], swiftSettings: strict),
        .target(
            name: "Etcd",
            dependencies: [
                "Datastore", "CalicoAPI", "NetworkAddress", "SystemError",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict),
        .target(name: "IPAM", dependencies: ["CalicoAPI", "Datastore", "NetworkAddress"], swiftSettings: strict),
        .target(name: "ResourceCache", dependencies: ["CalicoAPI", "NetworkAddress"], swiftSettings: strict),
        .target(
            name: "Calculation", dependencies: ["CalicoAPI", "NetworkAddress", "ResourceCache"],
            swiftSettings: strict),
        .target(name: "Policy", dependencies: ["CalicoAPI", "NetworkAddress", "ResourceCache"], swiftSettings: strict),
        .target(
            name: "PolicyRendering", dependencies: ["Policy", "CalicoAPI", "NFTables", "NetworkAddress"],
            swiftSettings: strict),
        .target(name: "BGP", dependencies: ["CalicoAPI", "NetworkAddress", "SystemError"], swiftSettings: strict),
        .target(
            name: "Dataplane",
            dependencies: [
                "Calculation", "CalicoAPI", "Netlink", "NFTables", "PolicyRendering", "NetworkAddress", "SystemError",
            ],
            swiftSettings: strict),
        .target(
            name: "Agent",
            dependencies: [
                "Dataplane", "Calculation", "BGP", "IPAM", "Datastore", "Etcd", "CalicoAPI", "NetworkAddress", "ResourceCache",
                "Policy", "PolicyRendering", "SystemError", "TabbyRelease",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),

        // The kernel.
        .target(name: "Netlink", dependencies: ["CMnl", "NetworkAddress", "SystemError"], swiftSettings: strict),
        .target(
            name: "NFTables", dependencies: ["CNftnl", "CMnl", "NetworkAddress", "SystemError"],
            swiftSettings: strict),

        // The CNI plugins: `tabby` (network) and `tabby-ipam` (IPAM), called by container runtimes.
        .target(
            name: "CNI",
            dependencies: ["CalicoAPI", "Datastore", "Etcd", "IPAM", "Netlink", "NetworkAddress", "SystemError"],
            swiftSettings: strict),
        .executableTarget(name: "tabby", dependencies: ["CNI"], swiftSettings: strict),
        .executableTarget(name: "tabby-ipam", dependencies: ["CNI"], swiftSettings: strict),

        // Executables and their commands.
        .target(
            name: "TabbyCtlCommands",
            dependencies: [
                "CalicoAPI", "BGP", "Datastore", "Etcd", "IPAM", "Policy", "NetworkAddress", "SystemError",
                "TabbyRelease", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        .executableTarget(name: "tabbyctl", dependencies: ["TabbyCtlCommands"], swiftSettings: strict),
        .executableTarget(name: "tabbyd", dependencies: ["Agent"], swiftSettings: strict),

        // Benchmarks (bench/): each compares against the standard tool in one run where there is one;
        // ipam-bench is also the IPAM concurrency test's worker.
        .executableTarget(
            name: "selector-bench", dependencies: ["CalicoAPI"], path: "bench/selector", swiftSettings: strict),
        .executableTarget(
            name: "ipam-bench", dependencies: ["IPAM", "Datastore", "Etcd", "CalicoAPI", "NetworkAddress"],
            path: "bench/ipam",
            swiftSettings: strict),
        .executableTarget(
            name: "netlink-bench", dependencies: ["Netlink", "NetworkAddress"], path: "bench/netlink",
            exclude: ["run.sh"], swiftSettings: strict),
        .executableTarget(
            name: "dataplane-bench",
            dependencies: ["Dataplane", "Calculation", "CalicoAPI", "Netlink", "NetworkAddress"],
            path: "bench/dataplane", exclude: ["run.sh"], swiftSettings: strict),
        .executableTarget(
            name: "nftables-bench", dependencies: ["NFTables", "CNftnl", "NetworkAddress"], path: "bench/nftables",
            exclude: ["run.sh"], swiftSettings: strict),
        .executableTarget(
            name: "policy-bench", dependencies: ["Policy", "CalicoAPI", "NetworkAddress"], path: "bench/policy",
            swiftSettings: strict),
        .executableTarget(
            name: "policy-dataplane-bench",
            dependencies: [
                "Dataplane", "PolicyRendering", "Policy", "NFTables", "CNftnl", "CalicoAPI", "NetworkAddress",
            ],
            path: "bench/policy-dataplane", exclude: ["run.sh"], swiftSettings: strict),
        .executableTarget(
            name: "calculation-bench", dependencies: ["Calculation", "CalicoAPI", "NetworkAddress", "ResourceCache"],
            path: "bench/calculation", swiftSettings: strict),
        .executableTarget(
            name: "cni-bench", dependencies: ["CMnl"], path: "bench/cni", exclude: ["run.sh"],
            swiftSettings: strict),
        .executableTarget(
            name: "agent-bench",
            dependencies: ["Datastore", "Etcd", "IPAM", "CalicoAPI", "BGP", "Netlink", "NetworkAddress"],
            path: "bench/agent", exclude: ["run.sh"], swiftSettings: strict),

        // Tests.
        .testTarget(
            name: "CNITests",
            dependencies: ["CNI", "CalicoAPI", "Datastore", "EtcdTestSupport", "IPAM", "Netlink", "NetworkAddress"],
            swiftSettings: strict),
        .testTarget(name: "NetworkAddressTests", dependencies: ["NetworkAddress"], swiftSettings: strict),
        .testTarget(name: "SystemErrorTests", dependencies: ["SystemError"], swiftSettings: strict),
        .testTarget(name: "BGPTests", dependencies: ["BGP", "CalicoAPI", "NetworkAddress"], swiftSettings: strict),
        .testTarget(name: "CalicoAPITests", dependencies: ["CalicoAPI", "NetworkAddress"], swiftSettings: strict),
        .testTarget(
            name: "DatastoreTests",
            dependencies: ["Datastore", "Etcd", "EtcdTestSupport", "CalicoAPI", "NetworkAddress", "datastore-probe"],
            swiftSettings: strict),
        // Starts and stops real etcd servers (Debian's etcd-server) for the tests that need one.
        .target(name: "EtcdTestSupport", path: "Tests/EtcdTestSupport", swiftSettings: strict),
        .testTarget(
            name: "EtcdTests", dependencies: ["Etcd", "EtcdTestSupport", "Datastore", "CalicoAPI", "NetworkAddress"],
            swiftSettings: strict),
        // A second process for DatastoreTests: writes, increments and gets killed while writing.
        .executableTarget(
            name: "datastore-probe", dependencies: ["Datastore", "CalicoAPI"], path: "Tests/DatastoreProbe",
            swiftSettings: strict),
        .testTarget(
            name: "IPAMTests",
            dependencies: ["IPAM", "Datastore", "Etcd", "EtcdTestSupport", "CalicoAPI", "NetworkAddress", "ipam-bench"],
            swiftSettings: strict),
        .testTarget(
            name: "ResourceCacheTests", dependencies: ["ResourceCache", "CalicoAPI", "NetworkAddress"],
            swiftSettings: strict),
        .testTarget(
            name: "CalculationTests", dependencies: ["Calculation", "CalicoAPI", "NetworkAddress", "ResourceCache"],
            swiftSettings: strict),
        .testTarget(
            name: "PolicyTests", dependencies: ["Policy", "CalicoAPI", "NetworkAddress", "ResourceCache"],
            swiftSettings: strict),
        .testTarget(
            name: "DataplaneTests",
            dependencies: [
                "Dataplane", "Calculation", "CalicoAPI", "Netlink", "NFTables", "Policy", "PolicyRendering",
                "NetworkAddress", "SystemError",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "PolicyRenderingTests",
            dependencies: ["PolicyRendering", "Policy", "CalicoAPI", "NFTables", "NetworkAddress"],
            swiftSettings: strict),
        .testTarget(
            name: "AgentTests",
            dependencies: [
                "Agent", "CalicoAPI", "Datastore", "Dataplane", "Netlink", "NFTables", "NetworkAddress", "SystemError",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "NetlinkTests", dependencies: ["Netlink", "NetworkAddress", "SystemError"], swiftSettings: strict),
        .testTarget(
            name: "NFTablesTests", dependencies: ["NFTables", "NetworkAddress", "SystemError"], swiftSettings: strict),
        .testTarget(
            name: "TabbyctlTests",
            dependencies: [
                "TabbyCtlCommands", "CalicoAPI", "Datastore", "Agent", "BGP", "NetworkAddress", "EtcdTestSupport", "tabbyctl",
            ],
            swiftSettings: strict),
    ]
)

// Fuzz targets (Fuzz/, one per parser of outside input), declared only for `make fuzz`, which builds them with
// `TABBY_FUZZ=1 swift build --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address`: an ordinary build
// neither compiles nor plans them. Each main.swift runs libFuzzer's driver over its `LLVMFuzzerTestOneInput`;
// they reach internal decoders through `@testable import` (debug builds allow it).
if Context.environment["TABBY_FUZZ"] == "1" {
    let targets: [(name: String, dependencies: [Target.Dependency])] = [
        ("selector", ["CalicoAPI"]),
        ("manifest", ["CalicoAPI"]),
        ("config", ["Agent"]),
        ("cni", ["CNI"]),
        ("netlink", ["Netlink"]),
        ("nftables", ["NFTables", "CNftnl"]),
        (
            "status",
            [
                "Agent", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
    package.targets.append(.target(name: "FuzzSupport", path: "Fuzz/Support"))
    for target in targets {
        package.targets.append(
            .executableTarget(
                name: "fuzz-\(target.name)", dependencies: target.dependencies + ["FuzzSupport"],
                path: "Fuzz/\(target.name)", swiftSettings: strict))
    }
}
