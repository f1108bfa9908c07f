import Calculation
import CalicoAPI
import ResourceCache
import Testing

@Suite("Felix settings")
struct FelixSettingsTests {
    @Test func builtInDefaultsAreFelixs() {
        let (settings, problems) = FelixSettings.resolve(cache: ResourceCache(), node: "n")
        #expect(problems.isEmpty)
        #expect(settings.vxlanEnabled == nil && settings.ipipEnabled == nil)
        #expect(settings.vxlanVNI == 4096 && settings.vxlanPort == 4789)
        #expect(settings.vxlanMTU == 0 && settings.ipipMTU == 0)
        #expect(settings.effectiveVXLANMTU(hostMTU: 1500) == 1450)
        #expect(settings.effectiveIPIPMTU(hostMTU: 1500) == 1480)
        #expect(settings.routeRefreshInterval == .seconds(90))
        #expect(settings.interfacePrefixes == ["cali"])
        #expect(settings.deviceRouteProtocol == 3 && settings.clusterRouteProtocol == 80)
        #expect(settings.ipv6Support)
        #expect(settings.ipForwarding == .enabled)
        #expect(settings.defaultEndpointToHostAction == .drop)
        #expect(settings.natOutgoingAddress == nil)
        #expect(settings.mtuIfacePattern == "^((en|wl|ww|sl|ib)[Pcopsvx].*|(eth|wlan|wwan).*)")
        #expect(settings.removeExternalRoutes)
        #expect(!settings.healthEnabled && settings.healthHost == "localhost" && settings.healthPort == 9099)
        #expect(!settings.prometheusMetricsEnabled && settings.prometheusMetricsHost == "")
        #expect(settings.prometheusMetricsPort == 9091)
        #expect(settings.logSeverityScreen == .info)
        #expect(settings == FelixSettings())
    }

    @Test func precedenceIsDefaultThenGlobalThenNodeThenLocal() {
        let cluster = state([
            felixConfiguration("default") {
                $0.healthPort = 9100
                $0.prometheusMetricsPort = 9200
                $0.logSeverityScreen = "Warning"
                $0.routeRefreshInterval = "30s"
            },
            felixConfiguration("node.n") {
                $0.prometheusMetricsPort = 9300
                $0.logSeverityScreen = "Debug"
            },
            felixConfiguration("node.other") { $0.healthPort = 1 },
        ])
        let (settings, problems) = FelixSettings.resolve(
            cache: cluster, node: "n", overrides: ["LOGSEVERITYSCREEN": "error", "healthEnabled": "true"])
        #expect(problems.isEmpty)
        #expect(settings.healthPort == 9100)  // global
        #expect(settings.prometheusMetricsPort == 9300)  // per node beats global
        #expect(settings.logSeverityScreen == .error)  // local beats both, names matched without case
        #expect(settings.healthEnabled)  // local only
        #expect(settings.routeRefreshInterval == .seconds(30))
        #expect(settings.vxlanVNI == 4096)  // built in
    }

    @Test func badValuesAreReportedAndTheLayerBelowKept() {
        let cluster = state([
            felixConfiguration("default") {
                $0.vxlanVNI = 5000
                $0.vxlanPort = 8472
            },
            felixConfiguration("node.n") {
                $0.vxlanVNI = 0  // out of range
                $0.routeRefreshInterval = "soon"
                $0.ipForwarding = "Sometimes"
            },
        ])
        let (settings, problems) = FelixSettings.resolve(
            cache: cluster, node: "n",
            overrides: [
                "vxlanPort": "99999", "ipipMTU": "40", "natOutgoingAddress": "2001:db8::1", "healthEnabled": "maybe",
                "noSuchParameter": "1", "mtuIfacePattern": "(eth", "interfacePrefix": "cali,,tap",
            ])
        #expect(settings.vxlanVNI == 5000)
        #expect(settings.vxlanPort == 8472)
        #expect(settings.routeRefreshInterval == .seconds(90))
        #expect(settings.ipForwarding == .enabled)
        #expect(settings.ipipMTU == 0)
        #expect(settings.natOutgoingAddress == nil)
        #expect(!settings.healthEnabled)
        #expect(settings.mtuIfacePattern == FelixSettings.defaultMTUIfacePattern)
        #expect(settings.interfacePrefixes == ["cali"])
        let byParameter = Dictionary(grouping: problems, by: \.parameter)
        #expect(
            Set(byParameter.keys) == [
                "vxlanVNI", "routeRefreshInterval", "ipForwarding", "vxlanPort", "ipipMTU", "natOutgoingAddress",
                "healthEnabled", "noSuchParameter", "mtuIfacePattern", "interfacePrefix",
            ])
        #expect(byParameter["vxlanVNI"]?.first?.source == #"FelixConfiguration "node.n""#)
        #expect(byParameter["vxlanPort"]?.first?.source == "local configuration")
        #expect(
            byParameter["vxlanPort"]?.first?.description
                == #"local configuration: vxlanPort "99999": must be between 1 and 65535"#)
        #expect(byParameter["noSuchParameter"]?.first?.reason == "not a parameter Tabby reads")
    }

    struct ParseCase: Sendable {
        let parameter: String
        let text: String
        let check: @Sendable (FelixSettings) -> Bool
    }

    @Test(arguments: [
        ParseCase(parameter: "routeRefreshInterval", text: "1m30s") { $0.routeRefreshInterval == .seconds(90) },
        ParseCase(parameter: "routeRefreshInterval", text: "45") { $0.routeRefreshInterval == .seconds(45) },
        ParseCase(parameter: "routeRefreshInterval", text: "0") { $0.routeRefreshInterval == .zero },
        ParseCase(parameter: "routeRefreshInterval", text: "500ms") { $0.routeRefreshInterval == .milliseconds(500) },
        ParseCase(parameter: "ipv6Support", text: "false") { !$0.ipv6Support },
        ParseCase(parameter: "ipv6Support", text: "0") { !$0.ipv6Support },
        ParseCase(parameter: "vxlanEnabled", text: "True") { $0.vxlanEnabled == true },
        ParseCase(parameter: "ipipEnabled", text: "no") { $0.ipipEnabled == false },
        ParseCase(parameter: "interfacePrefix", text: "cali, tap") { $0.interfacePrefixes == ["cali", "tap"] },
        ParseCase(parameter: "deviceRouteProtocol", text: "80") {
            $0.deviceRouteProtocol == 80 && $0.clusterRouteProtocol == 80
        },
        ParseCase(parameter: "defaultEndpointToHostAction", text: "ACCEPT") {
            $0.defaultEndpointToHostAction == .accept
        },
        ParseCase(parameter: "natOutgoingAddress", text: "192.0.2.77") { $0.natOutgoingAddress == ip("192.0.2.77") },
        ParseCase(parameter: "logSeverityScreen", text: "WARN") { $0.logSeverityScreen == .warning },
        ParseCase(parameter: "prometheusMetricsHost", text: "") { $0.prometheusMetricsHost == "" },
        ParseCase(parameter: "healthHost", text: " 0.0.0.0 ") { $0.healthHost == "0.0.0.0" },
        ParseCase(parameter: "mtuIfacePattern", text: "^ens[0-9]+$") { $0.mtuIfacePattern == "^ens[0-9]+$" },
        ParseCase(parameter: "removeExternalRoutes", text: "false") { !$0.removeExternalRoutes },
        ParseCase(parameter: "vxlanMTU", text: "0") { $0.vxlanMTU == 0 },
        ParseCase(parameter: "VXLANMTUV6", text: "1380") { $0.vxlanMTUV6 == 1380 },
    ])
    func localValuesParse(_ test: ParseCase) {
        let (settings, problems) = FelixSettings.resolve(
            global: nil, perNode: nil, overrides: [test.parameter: test.text])
        #expect(problems.isEmpty)
        #expect(test.check(settings))
    }

    @Test func everyParameterNameIsAccepted() {
        // Each listed parameter is known to the parser: a bad value gives a value problem, not "unknown".
        for name in FelixSettings.parameterNames {
            let (_, problems) = FelixSettings.resolve(global: nil, perNode: nil, overrides: [name: "\u{1}bad"])
            #expect(problems.allSatisfy { $0.reason != "not a parameter Tabby reads" }, "\(name)")
        }
    }

    @Test func everySettingsFieldOfFelixConfigurationIsRead() {
        var spec = FelixConfigurationSpec()
        spec.vxlanEnabled = true
        spec.ipipEnabled = true
        spec.vxlanVNI = 7
        spec.vxlanPort = 7000
        spec.vxlanMTU = 1400
        spec.vxlanMTUV6 = 1380
        spec.ipipMTU = 1410
        spec.routeRefreshInterval = "10s"
        spec.interfacePrefix = "veth"
        spec.deviceRouteProtocol = 99
        spec.ipv6Support = false
        spec.ipForwarding = "Disabled"
        spec.defaultEndpointToHostAction = "Return"
        spec.natOutgoingAddress = ip("198.51.100.9")
        spec.mtuIfacePattern = "^eth0$"
        spec.removeExternalRoutes = false
        spec.workloadSourceSpoofing = "Any"
        spec.healthEnabled = true
        spec.healthHost = "0.0.0.0"
        spec.healthPort = 9001
        spec.prometheusMetricsEnabled = true
        spec.prometheusMetricsHost = "127.0.0.1"
        spec.prometheusMetricsPort = 9002
        spec.logSeverityScreen = "Trace"
        let (settings, problems) = FelixSettings.resolve(
            global: FelixConfiguration(name: "default", spec: spec), perNode: nil)
        #expect(problems.isEmpty)
        var expected = FelixSettings()
        expected.vxlanEnabled = true
        expected.ipipEnabled = true
        expected.vxlanVNI = 7
        expected.vxlanPort = 7000
        expected.vxlanMTU = 1400
        expected.vxlanMTUV6 = 1380
        expected.ipipMTU = 1410
        expected.routeRefreshInterval = .seconds(10)
        expected.interfacePrefixes = ["veth"]
        expected.deviceRouteProtocol = 99
        expected.ipv6Support = false
        expected.ipForwarding = .disabled
        expected.defaultEndpointToHostAction = .return
        expected.natOutgoingAddress = ip("198.51.100.9")
        expected.mtuIfacePattern = "^eth0$"
        expected.removeExternalRoutes = false
        expected.workloadSourceSpoofing = .any
        expected.healthEnabled = true
        expected.healthHost = "0.0.0.0"
        expected.healthPort = 9001
        expected.prometheusMetricsEnabled = true
        expected.prometheusMetricsHost = "127.0.0.1"
        expected.prometheusMetricsPort = 9002
        expected.logSeverityScreen = .trace
        #expect(settings == expected)
        #expect(FelixSettings.parameterNames.count == 24)
    }

    @Test func workloadInterfacesMatchAnyPrefix() {
        var settings = FelixSettings()
        settings.interfacePrefixes = ["cali", "tap"]
        #expect(settings.isWorkloadInterface("cali12345"))
        #expect(settings.isWorkloadInterface("tap0"))
        #expect(!settings.isWorkloadInterface("eth0"))
        #expect(!settings.isWorkloadInterface("vxlan.calico"))
    }
}
