import CalicoAPI
import NetworkAddress
import Testing

@testable import Agent

private func pools(_ arguments: [String] = [], environment: [String: String] = [:], file: String? = nil)
    throws(ConfigurationError) -> DefaultPoolSettings
{
    try AgentConfiguration.load(
        arguments: ["--node", "n"] + arguments, environment: environment,
        fileReader: { $0 == AgentConfiguration.defaultConfigFile ? file : nil }
    ).defaultPools
}

private func poolError(_ arguments: [String] = [], environment: [String: String] = [:]) -> ConfigurationError? {
    do {
        _ = try pools(arguments, environment: environment)
        return nil
    } catch {
        return error
    }
}

/// calico-node's `CALICO_IPV4POOL_*`, `CALICO_IPV6POOL_*` and `NO_DEFAULT_POOLS` as tabbyd settings.
@Suite("Default pool settings")
struct DefaultPoolSettingsTests {
    @Test func calicoNodesDefaults() throws {
        let settings = try pools()
        #expect(settings.noDefaultPools == false)
        let ipv4 = try #require(settings.ipv4)
        #expect(ipv4.cidr == nil && ipv4.blockSize == 26 && ipv4.natOutgoing)
        #expect(ipv4.ipipMode == .never && ipv4.vxlanMode == .never && ipv4.nodeSelector == "all()")
        #expect(ipv4.disableBGPExport == false)
        let ipv6 = try #require(settings.ipv6)
        #expect(ipv6.cidr == nil && ipv6.blockSize == 122 && !ipv6.natOutgoing)
    }

    @Test func calicoNodesEnvironmentAndTabbysNames() throws {
        let fromCalico = try pools(
            environment: [
                "CALICO_IPV4POOL_CIDR": "10.244.0.0/16", "CALICO_IPV4POOL_BLOCK_SIZE": "24",
                "CALICO_IPV4POOL_IPIP": "CrossSubnet", "CALICO_IPV4POOL_NAT_OUTGOING": "false",
                "CALICO_IPV4POOL_NODE_SELECTOR": "zone == 'a'", "CALICO_IPV4POOL_DISABLE_BGP_EXPORT": "true",
                "CALICO_IPV6POOL_CIDR": "2001:db8:1::/48", "CALICO_IPV6POOL_BLOCK_SIZE": "120",
                "CALICO_IPV6POOL_VXLAN": "always", "CALICO_IPV6POOL_NAT_OUTGOING": "true",
            ])
        let ipv4 = try #require(fromCalico.ipv4)
        #expect(ipv4.cidr == CIDR("10.244.0.0/16") && ipv4.blockSize == 24 && ipv4.ipipMode == .crossSubnet)
        #expect(!ipv4.natOutgoing && ipv4.nodeSelector == "zone == 'a'" && ipv4.disableBGPExport)
        let ipv6 = try #require(fromCalico.ipv6)
        #expect(ipv6.cidr == CIDR("2001:db8:1::/48") && ipv6.blockSize == 120 && ipv6.vxlanMode == .always)
        #expect(ipv6.natOutgoing)

        let fromTabby = try pools(
            ["--ipv4-pool-cidr", "10.1.0.0/16", "--ipv4-pool-vxlan", "cross-subnet"],
            environment: ["TABBYD_IPV4_POOL_BLOCK_SIZE": "28"], file: "ipv6PoolCIDR: none\nipv4PoolNATOutgoing: false\n"
        )
        #expect(fromTabby.ipv4?.cidr == CIDR("10.1.0.0/16") && fromTabby.ipv4?.blockSize == 28)
        #expect(fromTabby.ipv4?.vxlanMode == .crossSubnet && fromTabby.ipv4?.natOutgoing == false)
        #expect(fromTabby.ipv6 == nil)
        // calico-node keeps the network of a CIDR written with host bits.
        #expect(try pools(["--ipv4-pool-cidr", "10.9.8.7/16"]).ipv4?.cidr == CIDR("10.9.0.0/16"))
    }

    @Test func noDefaultPools() throws {
        let settings = try pools(environment: ["NO_DEFAULT_POOLS": "true"])
        #expect(settings.noDefaultPools && settings.ipv4 == nil && settings.ipv6 == nil)
        let error = try #require(
            poolError(environment: ["NO_DEFAULT_POOLS": "true", "CALICO_IPV4POOL_CIDR": "10.0.0.0/16"]))
        #expect(error.source == .environment("CALICO_IPV4POOL_CIDR") && error.field == "ipv4PoolCIDR")
        #expect(error.reason.contains("cannot be set together with noDefaultPools"))
    }

    @Test(arguments: [
        (["CALICO_IPV4POOL_CIDR": "10.0.0.0"], "CALICO_IPV4POOL_CIDR: ipv4PoolCIDR: a prefix length is missing"),
        (["CALICO_IPV4POOL_CIDR": "2001:db8::/48"], "CALICO_IPV4POOL_CIDR: ipv4PoolCIDR: must be an IPv4 network"),
        (["CALICO_IPV6POOL_CIDR": "10.0.0.0/8"], "CALICO_IPV6POOL_CIDR: ipv6PoolCIDR: must be an IPv6 network"),
        (["CALICO_IPV4POOL_BLOCK_SIZE": "19"], "CALICO_IPV4POOL_BLOCK_SIZE: ipv4PoolBlockSize: must be from 20 to 32"),
        (["CALICO_IPV4POOL_BLOCK_SIZE": "x"], "CALICO_IPV4POOL_BLOCK_SIZE: ipv4PoolBlockSize: expected an integer"),
        (
            ["CALICO_IPV6POOL_BLOCK_SIZE": "64"],
            "CALICO_IPV6POOL_BLOCK_SIZE: ipv6PoolBlockSize: must be from 116 to 128"
        ),
        (
            ["CALICO_IPV4POOL_CIDR": "10.0.0.0/28"],
            "CALICO_IPV4POOL_CIDR: ipv4PoolBlockSize: the pool 10.0.0.0/28 is smaller than one block of /26"
        ),
        (["CALICO_IPV4POOL_IPIP": "sometimes"], "CALICO_IPV4POOL_IPIP: ipv4PoolIPIP: must be Always, CrossSubnet or"),
        (["CALICO_IPV6POOL_VXLAN": "on"], "CALICO_IPV6POOL_VXLAN: ipv6PoolVXLAN: must be Always, CrossSubnet or"),
        (
            ["CALICO_IPV4POOL_IPIP": "Always", "CALICO_IPV4POOL_VXLAN": "Always"],
            "CALICO_IPV4POOL_VXLAN: ipv4PoolVXLAN: IPIP and VXLAN cannot both be enabled"
        ),
        (["CALICO_IPV4POOL_NODE_SELECTOR": "a ==="], "CALICO_IPV4POOL_NODE_SELECTOR: ipv4PoolNodeSelector: "),
        (["NO_DEFAULT_POOLS": "perhaps"], "NO_DEFAULT_POOLS: noDefaultPools: expected true or false"),
        (["CALICO_IPV4POOL_NAT_OUTGOING": "sure"], "CALICO_IPV4POOL_NAT_OUTGOING: ipv4PoolNATOutgoing: expected true"),
    ])
    func everyBadValueNamesTheSetting(environment: [String: String], message: String) throws {
        let error = try #require(poolError(environment: environment))
        #expect(error.description.hasPrefix("environment variable " + message), "\(error)")
    }
}

/// Which pools a first start creates (the pure half of ``DefaultPoolBootstrap``).
@Suite("Default pool bootstrap")
struct DefaultPoolBootstrapTests {
    private let ula = CIDR("fd12:3456:789a::/48")!
    private let quietHost = DefaultPoolBootstrap.Host(ipv4Addresses: [IPAddress("192.0.2.10")!], ipv6Enabled: true)

    @Test func bothFamiliesOnAnEmptyDatastore() throws {
        let created = DefaultPoolBootstrap.pools(DefaultPoolSettings(), existing: [], host: quietHost) { ula }
        #expect(created.map(\.metadata.name) == ["default-ipv4-ippool", "default-ipv6-ippool"])
        let ipv4 = created[0].spec
        #expect(ipv4.cidr == CIDR("192.168.0.0/16") && ipv4.blockSize == 26 && ipv4.natOutgoing == true)
        #expect(ipv4.ipipMode == .never && ipv4.vxlanMode == .never && ipv4.nodeSelector == "all()")
        #expect(ipv4.disableBGPExport == false)
        let ipv6 = created[1].spec
        #expect(ipv6.cidr == ula && ipv6.blockSize == 122 && ipv6.natOutgoing == false && ipv6.ipipMode == .never)
    }

    @Test func anyExistingPoolMeansNone() throws {
        // calico-node would add the missing IPv6 pool here; Tabby creates defaults only on a datastore without
        // any pool (Docs/operations.md says why).
        let existing = IPPool(name: "mine", spec: IPPoolSpec(cidr: CIDR("10.5.0.0/16")!))
        #expect(
            DefaultPoolBootstrap.pools(DefaultPoolSettings(), existing: [existing], host: quietHost) { ula }.isEmpty)
        var disabled = IPPoolSpec(cidr: CIDR("2001:db8::/48")!)
        disabled.disabled = true
        let v6 = IPPool(name: "v6", spec: disabled)
        #expect(DefaultPoolBootstrap.pools(DefaultPoolSettings(), existing: [v6], host: quietHost) { ula }.isEmpty)
        let off = DefaultPoolBootstrap.Host(ipv4Addresses: [], ipv6Enabled: false)
        #expect(
            DefaultPoolBootstrap.pools(DefaultPoolSettings(), existing: [], host: off) { ula }.map(\.metadata.name) == [
                "default-ipv4-ippool"
            ])
    }

    @Test func noneAndNoDefaultPoolsCreateNothing() throws {
        var settings = DefaultPoolSettings()
        settings.ipv4 = nil
        #expect(
            DefaultPoolBootstrap.pools(settings, existing: [], host: quietHost) { ula }.map(\.metadata.name) == [
                "default-ipv6-ippool"
            ])
        settings.noDefaultPools = true
        settings.ipv4 = DefaultPoolSettings().ipv4
        #expect(DefaultPoolBootstrap.pools(settings, existing: [], host: quietHost) { ula }.isEmpty)
    }

    @Test func theDefaultIPv4PoolAvoidsHostAddresses() {
        #expect(DefaultPoolBootstrap.defaultIPv4CIDR(avoiding: [IPAddress("192.0.2.1")!]) == CIDR("192.168.0.0/16"))
        #expect(DefaultPoolBootstrap.defaultIPv4CIDR(avoiding: [IPAddress("192.168.1.5")!]) == CIDR("172.16.0.0/16"))
        let busy = [IPAddress("192.168.1.5")!, IPAddress("172.16.0.1")!, IPAddress("172.17.0.1")!]
        #expect(DefaultPoolBootstrap.defaultIPv4CIDR(avoiding: busy) == CIDR("172.18.0.0/16"))
        let full = [IPAddress("192.168.1.5")!] + (16...31).map { IPAddress("172.\($0).9.9")! }
        #expect(DefaultPoolBootstrap.defaultIPv4CIDR(avoiding: full) == CIDR("192.168.0.0/16"))
    }

    @Test func randomULAsAreUniqueLocalSlash48s() {
        let prefixes = (0..<64).map { _ in DefaultPoolBootstrap.randomULA() }
        for prefix in prefixes {
            #expect(prefix.prefixLength == 48 && prefix.isMasked)
            #expect(CIDR("fd00::/8")!.contains(prefix), "\(prefix)")
        }
        #expect(Set(prefixes).count > 1)
    }
}
