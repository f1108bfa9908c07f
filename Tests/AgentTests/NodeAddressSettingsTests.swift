import CalicoAPI
import NetworkAddress
import Testing

@testable import Agent

private func load(_ arguments: [String], environment: [String: String] = [:], file: String? = nil)
    throws(ConfigurationError) -> AgentConfiguration
{
    try AgentConfiguration.load(
        arguments: ["--node", "n"] + arguments, environment: environment,
        fileReader: { $0 == AgentConfiguration.defaultConfigFile ? file : nil })
}

private func loadError(_ arguments: [String], environment: [String: String] = [:], file: String? = nil)
    -> ConfigurationError?
{
    do {
        _ = try load(arguments, environment: environment, file: file)
        return nil
    } catch {
        return error
    }
}

/// calico-node's `IP`, `IP6`, `IP_AUTODETECTION_METHOD` and `IP6_AUTODETECTION_METHOD` as tabbyd settings.
@Suite("Node address settings")
struct NodeAddressSettingsTests {
    @Test func aBareAddressIsAccepted() throws {
        #expect(try load(["--node-ip", "192.0.2.1"]).nodeIP == .address(IPAddress("192.0.2.1")!))
        #expect(try load([], file: "nodeIP: 192.0.2.1\n").nodeIP == .address(IPAddress("192.0.2.1")!))
        #expect(try load(["--node-ip", "192.0.2.1/24"]).nodeIP == .network(CIDR("192.0.2.1/24")!))
        #expect(try load(["--node-ip", "autodetect"]).nodeIP == .autodetect)
        #expect(try load([]).nodeIPv6 == .none)
        #expect(try load(["--node-ip6", "2001:db8::5"]).nodeIPv6 == .address(IPAddress("2001:db8::5")!))
        #expect(try load(["--node-ip6", "autodetect"]).nodeIPv6 == .autodetect)
    }

    @Test func calicoNodeVariablesSetTheSameSettings() throws {
        let configuration = try load(
            [],
            environment: [
                "IP": "192.0.2.7", "IP6": "autodetect", "IP_AUTODETECTION_METHOD": "interface=eth.*, ens.*",
                "IP6_AUTODETECTION_METHOD": "can-reach=2001:db8::1",
            ])
        #expect(configuration.nodeIP == .address(IPAddress("192.0.2.7")!))
        #expect(configuration.nodeIPv6 == .autodetect)
        #expect(configuration.ipAutodetectionMethod == .interface(["eth.*", "ens.*"]))
        #expect(configuration.ip6AutodetectionMethod == .canReach(IPAddress("2001:db8::1")!))
        // An empty calico-node variable is unset; the TABBYD_ name and an option win as before.
        #expect(try load([], environment: ["IP": ""]).nodeIP == .autodetect)
        #expect(
            try load(["--node-ip", "192.0.2.9"], environment: ["IP": "192.0.2.7"]).nodeIP.description == "192.0.2.9")
        #expect(
            try load([], environment: ["IP": "192.0.2.7", "TABBYD_NODE_IP": "192.0.2.7"]).nodeIP.description
                == "192.0.2.7")
        let both = try #require(loadError([], environment: ["IP": "192.0.2.7", "TABBYD_NODE_IP": "192.0.2.8"]))
        #expect(both.source == .environment("IP") && both.field == "nodeIP")
        #expect(both.reason.contains("TABBYD_NODE_IP is set to another value"), "\(both)")
    }

    @Test(arguments: [
        ("first-found", AutodetectionMethod.firstFound),
        ("", .firstFound),
        ("interface=eth0", .interface(["eth0"])),
        ("interface=eth.*,en.*", .interface(["eth.*", "en.*"])),
        ("skip-interface=enp6s0f0, eth.*", .skipInterface(["enp6s0f0", "eth.*"])),
        ("can-reach=198.51.100.1", .canReach(IPAddress("198.51.100.1")!)),
        ("cidr=192.0.2.0/24,203.0.113.7/24", .cidr([CIDR("192.0.2.0/24")!, CIDR("203.0.113.0/24")!])),
    ])
    func everyMethodParses(text: String, method: AutodetectionMethod) throws {
        #expect(try load(["--ip-autodetection-method", text]).ipAutodetectionMethod == method)
        #expect(try load([], file: "ipAutodetectionMethod: \"\(text)\"\n").ipAutodetectionMethod == method)
    }

    @Test(arguments: [
        (["--node-ip", "192.0.2"], "argument --node-ip: nodeIP: \"192.0.2\" is not an IP address"),
        (["--node-ip", "none"], "argument --node-ip: nodeIP: none is not supported for IPv4"),
        (["--node-ip", "2001:db8::1"], "argument --node-ip: nodeIP: must be an IPv4 address"),
        (["--node-ip", "169.254.3.4"], "argument --node-ip: nodeIP: 169.254.3.4 is not a unicast interface address"),
        (["--node-ip6", "192.0.2.1"], "argument --node-ip6: nodeIPv6: must be an IPv6 address"),
        (["--node-ip6", "fe80::1"], "argument --node-ip6: nodeIPv6: fe80::1 is not a unicast interface address"),
        (
            ["--ip-autodetection-method", "kubernetes-internal-ip"],
            "argument --ip-autodetection-method: ipAutodetectionMethod: kubernetes-internal-ip is not supported"
        ),
        (
            ["--ip-autodetection-method", "first"],
            "argument --ip-autodetection-method: ipAutodetectionMethod: unknown method \"first\""
        ),
        (
            ["--ip-autodetection-method", "interface="],
            "argument --ip-autodetection-method: ipAutodetectionMethod: interface= needs a value"
        ),
        (
            ["--ip-autodetection-method", "interface=eth(0"],
            "argument --ip-autodetection-method: ipAutodetectionMethod: interface=: \"eth(0\" is not a regular"
        ),
        (
            ["--ip-autodetection-method", "can-reach=www.example.com"],
            "argument --ip-autodetection-method: ipAutodetectionMethod: can-reach= takes one IP address"
        ),
        (
            ["--ip-autodetection-method", "can-reach=2001:db8::1"],
            "argument --ip-autodetection-method: ipAutodetectionMethod: can-reach=2001:db8::1 is not an IPv4"
        ),
        (
            ["--ip6-autodetection-method", "cidr=192.0.2.0/24"],
            "argument --ip6-autodetection-method: ip6AutodetectionMethod: cidr=192.0.2.0/24 is not an IPv6"
        ),
        (
            ["--ip-autodetection-method", "cidr=192.0.2.0"],
            "argument --ip-autodetection-method: ipAutodetectionMethod: cidr=: invalid CIDR \"192.0.2.0\""
        ),
    ])
    func everyBadValueIsNamed(arguments: [String], message: String) throws {
        let error = try #require(loadError(arguments))
        #expect(error.description.hasPrefix(message), "\(error)")
    }

    @Test func theEnvironmentErrorNamesCalicoNodesVariable() throws {
        let error = try #require(loadError([], environment: ["IP_AUTODETECTION_METHOD": "bogus"]))
        #expect(error.description.hasPrefix("environment variable IP_AUTODETECTION_METHOD: ipAutodetectionMethod:"))
    }

    @Test func interfacePatternsMatchAnywhereInTheName() {
        #expect(InterfaceNamePatterns.matches("eth0", any: ["th"]))
        #expect(!InterfaceNamePatterns.matches("eth0", any: ["^th"]))
        #expect(InterfaceNamePatterns.matches("vxlan.calico", any: AutodetectionMethod.defaultSkippedInterfaces))
        #expect(InterfaceNamePatterns.matches("lo", any: AutodetectionMethod.defaultSkippedInterfaces))
        #expect(!InterfaceNamePatterns.matches("eth0", any: AutodetectionMethod.defaultSkippedInterfaces))
        #expect(!InterfaceNamePatterns.matches("vxlanXcalico", any: ["^vxlan\\.calico.*"]))
    }
}
