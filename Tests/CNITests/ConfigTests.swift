import CNI
import Datastore
import NetworkAddress
import Testing

@Suite struct ConfigTests {
    static let minimal = #"{"cniVersion":"1.0.0","name":"k8s-pod-network","type":"tabby","ipam":{"type":"tabby-ipam"}}"#

    static func decode(_ text: String) throws(CNIError) -> NetworkConfig {
        try NetworkConfig.decode(Array(text.utf8))
    }

    /// The minimal config with `members` (JSON text, `"key":value,...`) added at the top level.
    static func with(_ members: String) -> String {
        String(minimal.dropLast()) + "," + members + "}"
    }

    static func failure(_ text: String) -> CNIError? {
        do {
            _ = try decode(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func theMinimalConfigTakesCalicosDefaults() throws {
        let config = try Self.decode(Self.minimal)
        #expect(config.cniVersion == .v1_0_0)
        #expect(config.name == "k8s-pod-network")
        #expect(config.ipam == IPAMConfig(type: "tabby-ipam", assignIPv4: true, assignIPv6: false))
        #expect(config.datastore == .file(path: "/var/lib/tabby/datastore"))
        #expect(config.nodeName == nil && config.nodeNameFileOptional)
        #expect(config.mtu == nil && config.mtuFile == "/var/lib/calico/mtu" && !config.requireMTUFile)
        #expect(config.logLevel == .warning && config.logFilePath == nil && !config.allowIPForwarding)
        #expect(config.prevResult == nil && config.requestedAddresses.isEmpty && config.validAttachments == nil)
    }

    @Test func calicosKeysAreRead() throws {
        let config = try Self.decode(
            #"{"cniVersion":"0.3.1","name":"net","type":"tabby","nodename":"node-1","mtu":1410,"#
                + #""mtu_file":"/run/mtu","log_level":"DEBUG","log_file_path":"/tmp/cni.log","#
                + #""datastore_type":"file","datastore_path":"/srv/ds","policy":{"type":"k8s"},"#
                + #""ipam":{"type":"tabby-ipam","assign_ipv4":"false","assign_ipv6":true,"#
                + #""ipv4_pools":["default-ipv4-ippool","192.0.2.0/24"],"ipv6_pools":["2001:db8::/64"]},"#
                + #""container_settings":{"allow_ip_forwarding":true},"#
                + #""dns":{"nameservers":["192.0.2.53"],"search":["svc.local"]}}"#)
        #expect(config.allowIPForwarding)
        #expect(config.cniVersion == .v0_3_1)
        #expect(config.nodeName == "node-1")
        #expect(config.mtu == 1410 && config.mtuFile == "/run/mtu")
        #expect(config.logLevel == .debug && config.logFilePath == "/tmp/cni.log")
        #expect(config.datastore == .file(path: "/srv/ds"))
        #expect(
            config.ipam
                == IPAMConfig(
                    type: "tabby-ipam", assignIPv4: false, assignIPv6: true,
                    ipv4Pools: ["default-ipv4-ippool", "192.0.2.0/24"], ipv6Pools: ["2001:db8::/64"]))
        #expect(config.dns == CNIResult.DNS(nameservers: ["192.0.2.53"], search: ["svc.local"]))
    }

    @Test func etcdIsAcceptedInTheConfig() throws {
        let config = try Self.decode(
            Self.with(#""datastore_type":"etcdv3","etcd_endpoints":"http://192.0.2.1:2379, http://192.0.2.2:2379""#))
        #expect(config.datastore == .etcd(EtcdSettings(endpoints: ["http://192.0.2.1:2379", "http://192.0.2.2:2379"])))
    }

    @Test func runtimeConfigIPsAndValidAttachmentsAreRead() throws {
        let config = try Self.decode(
            Self.with(
                #""runtimeConfig":{"ips":["192.0.2.10/24","2001:db8::10"],"portMappings":[{"hostPort":80}]},"#
                    + #""cni.dev/valid-attachments":[{"containerID":"c1","ifname":"eth0"},{"containerID":"c2"}]"#))
        #expect(config.requestedAddresses == [IPAddress("192.0.2.10")!, IPAddress("2001:db8::10")!])
        #expect(
            config.validAttachments == [
                NetworkConfig.Attachment(containerID: "c1", interfaceName: "eth0"),
                NetworkConfig.Attachment(containerID: "c2", interfaceName: ""),
            ])
        let legacy = try Self.decode(Self.with(#""cni.dev/attachments":[{"containerID":"c3","ifname":"eth0"}]"#))
        #expect(legacy.validAttachments?.map(\.containerID) == ["c3"])
    }

    @Test func aPrevResultOfAnOlderVersionIsDecoded() throws {
        let config = try Self.decode(
            Self.with(
                #""prevResult":{"cniVersion":"0.4.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/x"}],"#
                    + #""ips":[{"version":"4","address":"192.0.2.5/32","interface":0}],"routes":[{"dst":"0.0.0.0/0"}]}"#
            ))
        #expect(config.prevResult?.ips.first?.address == CIDR("192.0.2.5/32")!)
        #expect(config.prevResult?.interfaces.first?.sandbox == "/run/netns/x")
    }

    @Test(arguments: [
        // Not JSON, or not an object: code 6.
        ("[]", CNIError.Code.decodingFailure, "the network config: expected an object, got a list"),
        // Missing or unacceptable values: code 7.
        (
            #"{"name":"n","type":"tabby","ipam":{"type":"tabby-ipam"}}"#, .invalidNetworkConfig,
            "field cniVersion is missing"
        ),
        (
            #"{"cniVersion":"1.0.0","type":"tabby","ipam":{"type":"tabby-ipam"}}"#, .invalidNetworkConfig,
            "field name is missing"
        ),
        (#"{"cniVersion":"1.0.0","name":"n","type":"tabby"}"#, .invalidNetworkConfig, "field ipam is missing"),
        (
            #"{"cniVersion":"1.0.0","name":"n","type":"tabby","ipam":{}}"#, .invalidNetworkConfig,
            "field ipam.type is missing"
        ),
        (
            #"{"cniVersion":"1.0.0","name":"-n","type":"tabby","ipam":{"type":"tabby-ipam"}}"#, .invalidNetworkConfig,
            "field name: \"-n\" must start with a letter or digit"
        ),
        (
            #"{"cniVersion":"1.0.0","name":"n","type":"../tabby","ipam":{"type":"tabby-ipam"}}"#, .invalidNetworkConfig,
            "field type: \"../tabby\" cannot name a plugin file"
        ),
        // Unsupported version: code 1.
        (
            #"{"cniVersion":"0.2.0","name":"n","type":"tabby","ipam":{"type":"tabby-ipam"}}"#, .incompatibleVersion,
            "config is \"0.2.0\", plugin supports [\"0.3.0\", \"0.3.1\", \"0.4.0\", \"1.0.0\", \"1.1.0\"]"
        ),
        // Wrong JSON type: code 6.
        (
            #"{"cniVersion":1.0,"name":"n","type":"tabby","ipam":{"type":"tabby-ipam"}}"#, .decodingFailure,
            "field cniVersion: expected a string, got a number"
        ),
    ])
    func aBadTopLevelIsRefusedNamingTheField(text: String, code: CNIError.Code, details: String) {
        let error = Self.failure(text)
        #expect(error?.code == code)
        #expect(error?.details.hasPrefix(details) == true, "\(String(describing: error))")
    }

    @Test(arguments: [
        (#""mtu":40"#, CNIError.Code.invalidNetworkConfig, "field mtu: 40 is not an MTU in 68-65535"),
        (#""mtu":"1500""#, .decodingFailure, "field mtu: expected a whole number, got a string"),
        (#""mtu":1500.5"#, .invalidNetworkConfig, "field mtu: 1500.5 is not a whole number"),
        (#""nodename":"""#, .invalidNetworkConfig, "field nodename: is empty"),
        (#""nodename":7"#, .decodingFailure, "field nodename: expected a string, got a number"),
        (#""log_level":"loud""#, .invalidNetworkConfig, "field log_level: \"loud\" is not a log level"),
        (#""datastore_type":"kubernetes""#, .unsupportedField, "field datastore_type: \"kubernetes\" is not supported"),
        (
            #""datastore_type":"consul""#, .invalidNetworkConfig,
            "field datastore_type: \"consul\" is not a datastore type"
        ),
        (
            #""datastore_type":"etcdv3""#, .invalidNetworkConfig,
            "field etcd_endpoints: required for the etcdv3 datastore"
        ),
        (#""datastore_path":"""#, .invalidNetworkConfig, "field datastore_path: is empty"),
        (
            #""runtimeConfig":{"ips":["192.0.2.1/33"]}"#, .invalidNetworkConfig,
            "field runtimeConfig.ips[0]: \"192.0.2.1/33\" is not an IP address or CIDR"
        ),
        (
            #""runtimeConfig":{"ips":"192.0.2.1"}"#, .decodingFailure,
            "field runtimeConfig.ips: expected a list, got a string"
        ),
        (
            #""cni.dev/valid-attachments":[{"ifname":"eth0"}]"#, .invalidNetworkConfig,
            "field cni.dev/valid-attachments[0].containerID is missing"
        ),
        (#""prevResult":{"ips":[{"address":"x"}]}"#, .decodingFailure, "field prevResult.ips[0].address: \"x\" is not"),
        (
            #""container_settings":{"allow_ip_forwarding":"true"}"#, .decodingFailure,
            "field container_settings.allow_ip_forwarding: expected a boolean, got a string"
        ),
        (#""nodename_file_optional":"yes""#, .decodingFailure, "field nodename_file_optional: expected a boolean"),
    ])
    func aBadCalicoKeyIsRefusedNamingTheField(members: String, code: CNIError.Code, details: String) {
        let error = Self.failure(Self.with(members))
        #expect(error?.code == code)
        #expect(error?.details.hasPrefix(details) == true, "\(String(describing: error))")
    }

    @Test(arguments: [
        (
            #"{"type":"tabby-ipam","assign_ipv4":"yes"}"#, CNIError.Code.invalidNetworkConfig,
            "field ipam.assign_ipv4: \"yes\" is not \"true\" or \"false\""
        ),
        (
            #"{"type":"tabby-ipam","assign_ipv6":1}"#, .decodingFailure,
            "field ipam.assign_ipv6: expected \"true\" or \"false\", got a number"
        ),
        (
            #"{"type":"tabby-ipam","assign_ipv4":"false"}"#, .invalidNetworkConfig,
            "field ipam: assign_ipv4 and assign_ipv6 are both false"
        ),
        (
            #"{"type":"tabby-ipam","ipv4_pools":["2001:db8::/64"]}"#, .invalidNetworkConfig,
            "field ipam.ipv4_pools[0]: 2001:db8::/64 is an IPv6 CIDR in the IPv4 pool list"
        ),
        (#"{"type":"tabby-ipam","ipv6_pools":[""]}"#, .invalidNetworkConfig, "field ipam.ipv6_pools[0]: a pool name"),
        (#"{"type":"tabby-ipam","ipv4_pools":"p"}"#, .decodingFailure, "field ipam.ipv4_pools: expected a list"),
        (#"{"type":""}"#, .invalidNetworkConfig, "field ipam.type: \"\" cannot name a plugin file"),
        (#""tabby-ipam""#, .decodingFailure, "field ipam: expected an object, got a string"),
    ])
    func aBadIPAMSectionIsRefusedNamingTheField(ipam: String, code: CNIError.Code, details: String) {
        let text = #"{"cniVersion":"1.0.0","name":"n","type":"tabby","ipam":"# + ipam + "}"
        let error = Self.failure(text)
        #expect(error?.code == code)
        #expect(error?.details.hasPrefix(details) == true, "\(String(describing: error))")
        #expect(error?.msg.isEmpty == false)
    }

    @Test func textThatIsNotJSONIsADecodingFailure() {
        for text in ["{", "", "cniVersion: 1.0.0", #"{"cniVersion":"1.0.0""#] {
            let error = Self.failure(text)
            #expect(error?.code == .decodingFailure)
            #expect(error?.msg == "the network config on stdin is not valid JSON")
            #expect(error?.details.isEmpty == false)
        }
    }

    @Test func aForeignIPAMNeedsNoAddressFamily() throws {
        let config = try Self.decode(
            #"{"cniVersion":"1.0.0","name":"n","type":"tabby","ipam":{"type":"host-local","subnet":"192.0.2.0/24","#
                + #""assign_ipv4":"false"}}"#)
        #expect(config.ipam.type == "host-local" && !config.ipam.isTabbyIPAM)
    }
}
