import CNI
import NetworkAddress
import Testing

@Suite struct SpecEnvironmentTests {
    static let add = [
        "CNI_COMMAND": "ADD", "CNI_CONTAINERID": "3f6940ab5ab4", "CNI_NETNS": "/run/netns/c1", "CNI_IFNAME": "eth0",
        "CNI_PATH": "/opt/cni/bin::/usr/lib/cni",
    ]

    static func failure(_ variables: [String: String]) -> CNIError? {
        do {
            _ = try CNIEnvironment(variables)
            return nil
        } catch {
            return error
        }
    }

    @Test func aCompleteAddEnvironmentIsRead() throws {
        let environment = try CNIEnvironment(Self.add)
        #expect(environment.command == .add)
        #expect(environment.containerID == "3f6940ab5ab4")
        #expect(environment.networkNamespace == "/run/netns/c1")
        #expect(environment.interfaceName == "eth0")
        #expect(environment.pluginDirectories == ["/opt/cni/bin", "/usr/lib/cni"])
        #expect(environment.arguments.pairs.isEmpty)
    }

    @Test func aMissingOrUnknownCommandIsCodeFour() {
        #expect(
            Self.failure([:])
                == CNIError(
                    .invalidEnvironment, "invalid environment variable CNI_COMMAND", details: "CNI_COMMAND is not set"))
        let unknown = Self.failure(["CNI_COMMAND": "INIT"])
        #expect(unknown?.code == .invalidEnvironment)
        #expect(unknown?.details.hasPrefix("CNI_COMMAND \"INIT\" is not a CNI command") == true)
    }

    @Test(arguments: [
        (CNICommand.add, "CNI_CONTAINERID"), (.add, "CNI_NETNS"), (.add, "CNI_IFNAME"), (.check, "CNI_NETNS"),
        (.delete, "CNI_CONTAINERID"), (.delete, "CNI_IFNAME"), (.garbageCollect, "CNI_PATH"),
    ])
    func eachCommandNeedsTheSpecsVariables(command: CNICommand, variable: String) {
        var variables = Self.add
        variables["CNI_COMMAND"] = command.rawValue
        variables[variable] = nil
        #expect(
            Self.failure(variables)
                == CNIError(
                    .invalidEnvironment, "invalid environment variable \(variable)",
                    details: "\(variable) is required for \(command.rawValue) but is not set"))
        variables[variable] = ""
        #expect(Self.failure(variables)?.code == .invalidEnvironment)
    }

    @Test func delNeedsNoNamespaceAndVersionNeedsNothing() throws {
        var variables = Self.add
        variables["CNI_COMMAND"] = "DEL"
        variables["CNI_NETNS"] = nil
        #expect(try CNIEnvironment(variables).networkNamespace == "")
        #expect(try CNIEnvironment(["CNI_COMMAND": "VERSION"]).command == .version)
        #expect(try CNIEnvironment(["CNI_COMMAND": "STATUS"]).command == .status)
    }

    @Test(arguments: ["-abc", "_abc", "a b", "a/b", "abc;rm", "ä1"])
    func aContainerIDBreakingTheSpecsRuleIsRefused(id: String) {
        var variables = Self.add
        variables["CNI_CONTAINERID"] = id
        let error = Self.failure(variables)
        #expect(error?.code == .invalidEnvironment)
        #expect(error?.msg == "invalid environment variable CNI_CONTAINERID")
    }

    @Test(arguments: [".", "..", "eth0/1", "eth:0", "eth 0", "a23456789012345x"])
    func anInterfaceNameBreakingLinuxsRulesIsRefused(name: String) {
        var variables = Self.add
        variables["CNI_IFNAME"] = name
        let error = Self.failure(variables)
        #expect(error?.code == .invalidEnvironment)
        #expect(error?.msg == "invalid environment variable CNI_IFNAME")
    }

    @Test func fifteenBytesIsTheLongestInterfaceName() throws {
        var variables = Self.add
        variables["CNI_IFNAME"] = "a23456789012345"
        #expect(try CNIEnvironment(variables).interfaceName == "a23456789012345")
    }

    @Test func cniArgumentsNameThePodAndTheAddresses() throws {
        let arguments = try CNIArguments(
            parsing: "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1;K8S_POD_INFRA_CONTAINER_ID=abc;"
                + "K8S_POD_UID=u-1;IP=192.0.2.9, 2001:db8::9;")
        #expect(arguments.ignoreUnknown)
        #expect(arguments.podNamespace == "shop")
        #expect(arguments.podName == "web-1")
        #expect(arguments.podInfraContainerID == "abc")
        #expect(arguments.requestedAddresses == [IPAddress("192.0.2.9")!, IPAddress("2001:db8::9")!])
        #expect(arguments.pairs["K8S_POD_UID"] == "u-1")
        #expect(try CNIArguments(parsing: "").pairs.isEmpty)
        #expect(try CNIArguments(parsing: "A=b=c").pairs["A"] == "b=c")
    }

    @Test(arguments: [
        ("K8S_POD_NAME", "pair \"K8S_POD_NAME\" has no \"=\" (the form is KEY=VALUE;KEY=VALUE)"),
        ("=x", "pair \"=x\" has an empty key"),
        ("IgnoreUnknown=maybe", "IgnoreUnknown=maybe is not 1, 0, true or false"),
        ("IP=192.0.2.300", "IP=192.0.2.300: \"192.0.2.300\" is not an IPv4 or IPv6 address"),
    ])
    func badCNIArgumentsAreCodeFourNamingThePair(text: String, reason: String) {
        var variables = Self.add
        variables["CNI_ARGS"] = text
        #expect(
            Self.failure(variables)
                == CNIError(
                    .invalidEnvironment, "invalid environment variable CNI_ARGS", details: "CNI_ARGS \(reason)"))
    }
}
