import NetworkAddress
import Testing

@testable import CalicoAPI

/// Calico's FelixConfiguration rules as vectors, and the warnings for the Calico fields Tabby does not act on.
@Suite("Validation parity: FelixConfiguration")
struct FelixConfigurationParityTests {
    static func felix(_ spec: String, field: String, _ reason: String) -> InvalidCase {
        InvalidCase("FelixConfiguration", spec, name: "default", field: field, reason)
    }

    static let invalid: [InvalidCase] = [
        felix("routeTableRange: {min: 0, max: 250}", field: "spec.routeTableRange", "within 1..250"),
        felix("routeTableRange: {min: 1, max: 251}", field: "spec.routeTableRange", "within 1..250"),
        felix("routeTableRange: {min: 200, max: 100}", field: "spec.routeTableRange", "within 1..250"),
        felix(
            "routeTableRange: {min: 1, max: 250}\nrouteTableRanges: [{min: 1, max: 250}]",
            field: "spec.routeTableRange", "cannot be set together with routeTableRanges"),
        felix("routeTableRanges: [{min: 0, max: 100}]", field: "spec.routeTableRanges[0].min", "start at 1"),
        felix("routeTableRanges: [{min: 200, max: 100}]", field: "spec.routeTableRanges[0]", "greater than max"),
        felix("routeTableRanges: [{min: 1, max: 4294967296}]", field: "spec.routeTableRanges[0].max", "highest"),
        felix("routeTableRanges: [{min: 1, max: 65536}]", field: "spec.routeTableRanges", "65536 route tables"),
        felix(
            "routeTableRanges: [{min: 1, max: 40000}, {min: 100000, max: 130000}]", field: "spec.routeTableRanges",
            "at most 65535"),
        felix("kubeNodePortRanges: [1, 2, 3, 4, 5, 6, 7, 8]", field: "spec.kubeNodePortRanges", "at most 7"),
        felix("kubeNodePortRanges: [http]", field: "spec.kubeNodePortRanges[0]", "not named ports"),
        felix("kubeNodePortRanges: [\"0:100\"]", field: "spec.kubeNodePortRanges[0]", "1 <= min <= max"),
        felix("kubeNodePortRanges: [0]", field: "spec.kubeNodePortRanges[0]", "1 to 65535"),
        felix("mtuIfacePattern: \"*\"", field: "spec.mtuIfacePattern", "not a regular expression"),
        felix("mtuIfacePattern: \"(eth\"", field: "spec.mtuIfacePattern", "not a regular expression"),
        felix("bpfDataIfacePattern: \"[\"", field: "spec.bpfDataIfacePattern", "not a regular expression"),
        felix(
            "healthTimeoutOverrides: [{name: CalculationGraph, timeout: soon}]",
            field: "spec.healthTimeoutOverrides[0].timeout", "not a duration"),
        felix("ipv4ElevatedRoutePriority: 0", field: "spec.ipv4ElevatedRoutePriority", "between 1 and 2147483646"),
        felix("ipv6ElevatedRoutePriority: 2147483647", field: "spec.ipv6ElevatedRoutePriority", "2147483646"),
        felix("ipv4NormalRoutePriority: 0", field: "spec.ipv4NormalRoutePriority", "between 1"),
        felix("ipv6NormalRoutePriority: -5", field: "spec.ipv6NormalRoutePriority", "between 1"),
        felix("prometheusMetricsHost: \"my host\"", field: "spec.prometheusMetricsHost", "not a host"),
        felix(
            "prometheusMetricsHost: \(String(repeating: "a", count: 65))", field: "spec.prometheusMetricsHost",
            "not a host"),
        felix("externalNodesList: [\"2001:db8::/64\"]", field: "spec.externalNodesList[0]", "not IPv4"),
        felix("externalNodesList: [10.0.0.0/40]", field: "spec.externalNodesList[0]", "invalid CIDR"),
        felix("externalNodesCIDRList: [10.0.0.0/8]", field: "spec.externalNodesCIDRList", "unknown field"),
        felix("bpfLogLevel: Loud", field: "spec.bpfLogLevel", "must be one of Off, Info, Debug"),
        felix("wireguardListeningPort: 0", field: "spec.wireguardListeningPort", "between 1 and 65535"),
        felix("wireguardRoutingRulePriority: 32766", field: "spec.wireguardRoutingRulePriority", "32765"),
        felix("wireguardInterfaceName: \"wg:0\"", field: "spec.wireguardInterfaceName", "not a valid interface name"),
        felix("debugPort: 70000", field: "spec.debugPort", "between 0 and 65535"),
        felix("goGCThreshold: -2", field: "spec.goGCThreshold", "at least -1"),
        felix("bpfMaglevMaxServices: 3001", field: "spec.bpfMaglevMaxServices", "between 1 and 3000"),
        felix(
            "iptablesNATOutgoingInterfaceFilter: \"eth 0\"", field: "spec.iptablesNATOutgoingInterfaceFilter",
            "not an interface filter"),
        felix("featureDetectOverride: nonsense", field: "spec.featureDetectOverride", "key=value"),
        felix("openstackRegion: Region_1", field: "spec.openstackRegion", "DNS label"),
        felix("openstackRegion: \(String(repeating: "r", count: 47))", field: "spec.openstackRegion", "at most 46"),
        felix("usageReportingInterval: daily", field: "spec.usageReportingInterval", "not a duration"),
        felix("bpfMapSizeRoute: lots", field: "spec.bpfMapSizeRoute", "expected an integer"),
        felix("wireguardEnabled: true", field: "spec.wireguardEnabled", "WireGuard"),
        felix("routeTableRangez: {min: 1, max: 2}", field: "spec.routeTableRangez", "unknown field"),
    ]

    @Test("rejects", arguments: invalid)
    func rejects(_ invalid: InvalidCase) throws { try expectRefused(invalid, source: "felix.yaml") }

    static let valid: [String] = [
        "routeTableRange: {min: 1, max: 250}",
        "routeTableRanges: [{min: 1, max: 250}, {min: 1000, max: 2000}]",
        "routeTableRanges: [{min: 1, max: 65535}]",
        "routeTableRanges: [{min: 4294967000, max: 4294967295}]",
        "kubeNodePortRanges: [30000, \"30000:32767\", 1, 2, 3, 4, 5]",
        "mtuIfacePattern: \"^(en|eth).*\"",
        "healthTimeoutOverrides: [{name: CalculationGraph, timeout: 30s}]",
        "ipv4ElevatedRoutePriority: 512\nipv4NormalRoutePriority: 1024\nipv6ElevatedRoutePriority: 1",
        "ipv6NormalRoutePriority: 2147483646",
        "prometheusMetricsHost: \"2001:db8::1\"",
        "prometheusMetricsHost: metrics.example_host+1",
        "externalNodesList: [192.0.2.0/24, 198.51.100.7]",
        "featureDetectOverride: \"SNATFullyRandom=true,MASQFullyRandom=false,RestoreSupportsLock=,\"",
        "openstackRegion: region-one",
        "bpfEnabled: false\nwireguardEnabled: false\nnftablesMode: Enabled",
    ]

    @Test("accepts", arguments: valid)
    func accepts(_ spec: String) { expectAccepted(manifest("FelixConfiguration", name: "default", spec: spec)) }

    /// A default FelixConfiguration as a real Calico cluster has it (operator-installed, v3.30).
    static let clusterDefault = """
        bpfConnectTimeLoadBalancing: TCP
        bpfHostNetworkedNATWithoutCTLB: Enabled
        bpfLogLevel: ""
        floatingIPs: Disabled
        healthPort: 9099
        logSeverityScreen: Info
        nftablesMode: Enabled
        reportingInterval: 0s
        vxlanVNI: 4096
        bpfConntrackTimeouts: {tcpEstablished: 1h, udpTimeout: Auto}
        bpfLogFilters: {all: "tcp port 80"}
        bpfForceTrackPacketsFromIfaces: [docker+]
        """

    @Test func aClusterDefaultAppliesWithAWarningPerIgnoredField() throws {
        let decoded = ResourceCodec.decode(
            manifest("FelixConfiguration", name: "default", spec: Self.clusterDefault), source: "felix.yaml")
        #expect(decoded.errors.isEmpty, "\(decoded.errors)")
        #expect(decoded.resources.count == 1)
        let warned = decoded.warnings.compactMap(\.field)
        #expect(
            warned == [
                "spec.reportingInterval", "spec.floatingIPs", "spec.bpfConntrackTimeouts",
                "spec.bpfLogFilters", "spec.bpfConnectTimeLoadBalancing", "spec.bpfHostNetworkedNATWithoutCTLB",
                "spec.bpfForceTrackPacketsFromIfaces",
            ])
        let first = try #require(decoded.warnings.first)
        #expect(first.reason == "not implemented by Tabby; accepted and ignored")
        #expect(first.source == "felix.yaml" && first.kind == "FelixConfiguration" && first.name == "default")
        #expect(first.location != nil)
    }

    @Test func fieldsTabbyReadsDrawNoWarning() {
        let decoded = ResourceCodec.decode(
            manifest(
                "FelixConfiguration", name: "default",
                spec: "vxlanVNI: 4096\nmtuIfacePattern: ^eth\nexternalNodesList: [192.0.2.0/24]\nbpfEnabled: false"))
        #expect(decoded.errors.isEmpty)
        #expect(decoded.warnings.isEmpty, "\(decoded.warnings)")
    }

    @Test func warningsDoNotHideErrors() {
        let decoded = ResourceCodec.decode(
            manifest("FelixConfiguration", name: "default", spec: "bpfLogLevel: Debug\nvxlanVNI: 0"))
        #expect(decoded.resources.isEmpty)
        #expect(decoded.errors.map(\.field) == ["spec.vxlanVNI"])
        #expect(decoded.warnings.isEmpty)
    }

    @Test func ignoredFieldsAreKeptWhenTheResourceIsWrittenBack() throws {
        let resource = try ResourceCodec.decodeOne(
            manifest("FelixConfiguration", name: "default", spec: Self.clusterDefault))
        let again = try ResourceCodec.decodeOne(ResourceCodec.yaml(resource))
        #expect(again == resource)
        let spec = try #require(again.as(FelixConfiguration.self)?.spec)
        #expect(spec.bpfConntrackTimeouts == ["tcpEstablished": "1h", "udpTimeout": "Auto"])
        #expect(spec.bpfForceTrackPacketsFromIfaces == ["docker+"])
    }

    @Test func externalNodesListIsCalicosKey() throws {
        let resource = try ResourceCodec.decodeOne(
            manifest("FelixConfiguration", name: "default", spec: "externalNodesList: [192.0.2.0/24, 198.51.100.7]"))
        let spec = try #require(resource.as(FelixConfiguration.self)?.spec)
        #expect(spec.externalNodesList?.map(\.description) == ["192.0.2.0/24", "198.51.100.7"])
        #expect(spec.externalNodesCIDRList == spec.externalNodesList)
        #expect(ResourceCodec.yaml(resource).contains("externalNodesList"))
    }

    @Test func listItemsWarnAtTheirIndex() {
        let list = """
            apiVersion: projectcalico.org/v3
            kind: FelixConfigurationList
            items:
            - apiVersion: projectcalico.org/v3
              kind: FelixConfiguration
              metadata: {name: default}
              spec: {bpfLogLevel: Debug}
            """
        let decoded = ResourceCodec.decode(list)
        #expect(decoded.errors.isEmpty)
        #expect(decoded.warnings.map(\.field) == ["items[0].spec.bpfLogLevel"])
    }

    @Test func theValidatorReportCarriesWarnings() {
        var spec = FelixConfigurationSpec()
        spec.goMaxProcs = 2
        let report = FelixConfiguration(name: "default", spec: spec).validationReport()
        #expect(report.errors.isEmpty)
        #expect(report.warnings == [FieldError("spec.goMaxProcs", "not implemented by Tabby; accepted and ignored")])
        #expect(AnyResource(FelixConfiguration(name: "default", spec: spec)).validationReport() == report)
    }
}
