import Agent
import CalicoAPI
import Foundation
import Testing

/// Files for `load`, by path; a missing path reads as "does not exist".
private func files(_ contents: [String: String]) -> (String) throws -> String? {
    { path in contents[path] }
}

private let defaultFile = AgentConfiguration.defaultConfigFile

private func load(
    _ arguments: [String], environment: [String: String] = [:], files contents: [String: String] = [:]
) throws(ConfigurationError) -> AgentConfiguration {
    try AgentConfiguration.load(arguments: arguments, environment: environment, fileReader: files(contents))
}

/// The error `load` throws, or nil when it does not.
private func loadError(
    _ arguments: [String], environment: [String: String] = [:], files contents: [String: String] = [:]
) -> ConfigurationError? {
    loadError(arguments, environment: environment, fileReader: files(contents))
}

private func loadError(
    _ arguments: [String], environment: [String: String], fileReader: (String) throws -> String?
) -> ConfigurationError? {
    do {
        _ = try AgentConfiguration.load(arguments: arguments, environment: environment, fileReader: fileReader)
        return nil
    } catch {
        return error
    }
}

@Suite("Agent configuration")
struct ConfigurationTests {
    @Test func defaultsWithOnlyANodeName() throws {
        let configuration = try load(["--node", "node-1"])
        var expected = AgentConfiguration(nodeName: "node-1")
        expected.datastore = "/var/lib/tabby/datastore"
        #expect(configuration == expected)
        #expect(configuration.configFile == nil)
        #expect(configuration.statusSocket == "/run/tabby/tabbyd.sock")
        #expect(configuration.mtuFile == "/var/lib/calico/mtu")
        #expect(configuration.healthEnabled == false && configuration.healthHost == "localhost")
        #expect(configuration.healthPort == 9099 && configuration.metricsPort == 9091)
        #expect(configuration.metricsHost == "" && configuration.metricsEnabled == false)
        #expect(configuration.metricsFelixNames == false)
        #expect(configuration.logFormat == .text && configuration.logLevel == .info)
        #expect(
            configuration.nodeIP == .autodetect && configuration.nodeLabels.isEmpty
                && configuration.felixOverrides.isEmpty)
    }

    @Test func everyFieldFromTheFile() throws {
        let file = """
            nodeName: node-a
            datastore: /srv/tabby
            nodeIP: 192.0.2.10/24
            nodeLabels:
              rack: r1
              example.com/zone: a
            statusSocket: /run/t/t.sock
            healthEnabled: true
            healthHost: 127.0.0.1
            healthPort: 19099
            metricsEnabled: true
            metricsHost: 0.0.0.0
            metricsPort: 19091
            metricsFelixNames: true
            logFormat: json
            logLevel: Warning
            mtuFile: /run/t/mtu
            felix:
              vxlanMTU: 1400
              routeRefreshInterval: 30s
              failsafeInboundHostPorts: [{protocol: tcp, port: 22}]
            """
        let configuration = try load([], files: [defaultFile: file])
        #expect(configuration.configFile == defaultFile)
        #expect(configuration.nodeName == "node-a")
        #expect(configuration.datastore == "/srv/tabby")
        #expect(configuration.nodeIP.description == "192.0.2.10/24")
        #expect(configuration.nodeLabels == ["rack": "r1", "example.com/zone": "a"])
        #expect(configuration.statusSocket == "/run/t/t.sock")
        #expect(configuration.healthEnabled && configuration.healthHost == "127.0.0.1")
        #expect(configuration.healthPort == 19099)
        #expect(configuration.metricsEnabled && configuration.metricsHost == "0.0.0.0")
        #expect(configuration.metricsPort == 19091 && configuration.metricsFelixNames)
        #expect(configuration.logFormat == .json && configuration.logLevel == .warning)
        #expect(configuration.mtuFile == "/run/t/mtu")
        #expect(
            configuration.felixOverrides == [
                "vxlanMTU": "1400", "routeRefreshInterval": "30s",
                "failsafeInboundHostPorts": "[{protocol: tcp, port: 22}]",
            ])
        #expect(configuration.felix.vxlanMTU == 1400)
        #expect(configuration.felix.routeRefreshInterval == "30s")
        #expect(configuration.felix.failsafeInboundHostPorts?.first?.port == 22)
    }

    @Test func flagsWinOverEnvironmentOverFileOverDefaults() throws {
        let file = "nodeName: from-file\nhealthPort: 1001\nmetricsPort: 2001\nlogLevel: debug\n"
        let environment = ["TABBYD_HEALTH_PORT": "1002", "TABBYD_METRICS_PORT": "2002"]
        let all = try load(["--health-port", "1003"], environment: environment, files: [defaultFile: file])
        #expect(all.healthPort == 1003)  // flag
        #expect(all.metricsPort == 2002)  // environment
        #expect(all.logLevel == .debug)  // file
        #expect(all.logFormat == .text)  // default
        #expect(all.nodeName == "from-file")

        let withoutFlag = try load([], environment: environment, files: [defaultFile: file])
        #expect(withoutFlag.healthPort == 1002)
        let fileOnly = try load([], files: [defaultFile: file])
        #expect(fileOnly.healthPort == 1001)
        let flagOverEnvironment = try load(
            ["--node=from-flag"], environment: ["TABBYD_NODE_NAME": "from-env"], files: [defaultFile: file])
        #expect(flagOverEnvironment.nodeName == "from-flag")
        let environmentOverFile = try load(
            [], environment: ["TABBYD_NODE_NAME": "from-env"], files: [defaultFile: file])
        #expect(environmentOverFile.nodeName == "from-env")
    }

    @Test func labelsAndFelixParametersMergeKeyByKey() throws {
        let file = """
            nodeName: n
            nodeLabels: {rack: r1, zone: a}
            felix: {vxlanMTU: 1400, ipipMTU: 1480}
            """
        let configuration = try load(
            ["--node-label", "zone=b", "--felix", "ipipMTU=1440"],
            environment: ["TABBYD_NODE_LABELS": "role=edge, zone=c", "TABBYD_FELIX_VXLANPORT": "4790"],
            files: [defaultFile: file])
        #expect(configuration.nodeLabels == ["rack": "r1", "zone": "b", "role": "edge"])
        #expect(configuration.felixOverrides == ["vxlanMTU": "1400", "ipipMTU": "1440", "vxlanPort": "4790"])
        #expect(configuration.felix.vxlanPort == 4790 && configuration.felix.ipipMTU == 1440)
    }

    @Test func theConfigFileComesFromTheFlagThenTheEnvironment() throws {
        let contents = ["/a.yaml": "nodeName: from-a\n", "/b.yaml": "nodeName: from-b\n", defaultFile: "nodeName: d\n"]
        let fromFlag = try load(["--config", "/a.yaml"], environment: ["TABBYD_CONFIG": "/b.yaml"], files: contents)
        #expect(fromFlag.nodeName == "from-a" && fromFlag.configFile == "/a.yaml")
        let fromEnvironment = try load([], environment: ["TABBYD_CONFIG": "/b.yaml"], files: contents)
        #expect(fromEnvironment.nodeName == "from-b")
        let fromDefault = try load([], files: contents)
        #expect(fromDefault.nodeName == "d" && fromDefault.configFile == defaultFile)
    }

    @Test func booleanOptionsTakeAnOptionalValue() throws {
        let bare = try load(["--node", "n", "--health-enabled", "--metrics-enabled", "false"])
        #expect(bare.healthEnabled && !bare.metricsEnabled)
        let inline = try load(["--node", "n", "--health-enabled=no"], environment: ["TABBYD_METRICS_ENABLED": "1"])
        #expect(!inline.healthEnabled && inline.metricsEnabled)
    }

    @Test func theErrorNamesTheFileLineFieldAndReason() {
        let file = "nodeName: n\nhealthEnabled: true\nhealthPort: \"9099\"\n"
        let error = loadError([], files: [defaultFile: file])
        #expect(
            error?.description
                == "/etc/tabby/tabbyd.yaml: line 3: healthPort: expected an integer, got the string \"9099\"")
    }

    @Test(arguments: [
        ("nodeName: n\nhelthPort: 1\n", 2, "helthPort", "unknown field \"helthPort\""),
        ("nodeName: n\nhealthport: 1\n", 2, "healthport", "unknown field \"healthport\" (did you mean healthPort?)"),
        ("nodeName: n\nmetricsPort: 70000\n", 2, "metricsPort", "must be a port from 1 to 65535 (got 70000)"),
        ("nodeName: n\nhealthEnabled: yes please\n", 2, "healthEnabled", "expected true or false"),
        ("nodeName: n\nnodeLabels: [a]\n", 2, "nodeLabels", "expected a mapping of label names to values"),
        ("nodeName: n\nnodeLabels:\n  \"bad key!\": x\n", 3, "nodeLabels.bad key!", "name part"),
        ("nodeName: n\nlogFormat: xml\n", 2, "logFormat", "must be text or json (got \"xml\")"),
        ("nodeName: n\nlogLevel: loud\n", 2, "logLevel", "must be debug, info, warning or error (got \"loud\")"),
        ("nodeName: n\nfelix:\n  vxlanMTU: big\n", 3, "felix.vxlanMTU", "expected an integer"),
        ("nodeName: n\nfelix:\n  noSuchThing: 1\n", 3, "felix.noSuchThing", "FelixConfiguration has no parameter"),
        ("nodeName: n\nfelix:\n  vxlanPort: 0\n", 3, "felix.vxlanPort", "must be a port from 1 to 65535"),
        ("nodeName: n\nfelix:\n  bpfEnabled: true\n", 3, "felix.bpfEnabled", "no eBPF dataplane"),
        ("nodeName: n\nfelix: 3\n", 2, "felix", "expected a mapping of FelixConfiguration parameters"),
        ("nodeName: Node_1\n", 1, "nodeName", "only lowercase letters"),
        ("nodeName: n\nnodeIP: 192.0.2\n", 2, "nodeIP", "\"192.0.2\" is not an IP address"),
        ("nodeName: n\nnodeIP: 2001:db8::1/64\n", 2, "nodeIP", "must be an IPv4 address"),
        ("nodeName: n\nnodeIP: 127.0.0.1/8\n", 2, "nodeIP", "is not a unicast interface address"),
        ("nodeName: n\ndatastore: \"\"\n", 2, "datastore", "must not be empty"),
        ("nodeName: n\nhealthHost: \"a b\"\n", 2, "healthHost", "is not a host name or address"),
        ("nodeName: n\nstatusSocket: /\(String(repeating: "s", count: 120))\n", 2, "statusSocket", "at most 107 bytes"),
    ])
    func everyFileErrorIsPlaced(file: String, line: Int, field: String, reason: String) throws {
        let error = try #require(loadError([], files: [defaultFile: file]))
        #expect(error.source == .file(defaultFile, line: line))
        #expect(error.field == field)
        #expect(error.reason.contains(reason), "\(error)")
    }

    @Test func wholeFileErrors() throws {
        let syntax = try #require(loadError([], files: [defaultFile: "nodeName: n\nfelix: [\n"]))
        #expect(syntax.description.hasPrefix("/etc/tabby/tabbyd.yaml: line "))
        #expect(syntax.reason.contains("YAML syntax error"))

        let twoDocuments = try #require(loadError([], files: [defaultFile: "nodeName: n\n---\nnodeName: m\n"]))
        #expect(twoDocuments.reason == "the file holds one YAML document; found 2")
        #expect(twoDocuments.source == .file(defaultFile, line: 3))

        let notMapping = try #require(loadError([], files: [defaultFile: "- nodeName\n"]))
        #expect(notMapping.reason.contains("expected a mapping of settings"))

        let empty = try load(["--node", "n"], files: [defaultFile: "# nothing yet\n"])
        #expect(empty.configFile == defaultFile)
    }

    @Test func fileReadingErrors() throws {
        let missing = try #require(loadError(["--node", "n", "--config", "/nope.yaml"]))
        #expect(missing.description == "argument --config: config: /nope.yaml does not exist")
        let missingFromEnvironment = try #require(loadError(["--node", "n"], environment: ["TABBYD_CONFIG": "/x"]))
        #expect(missingFromEnvironment.source == .environment("TABBYD_CONFIG"))

        struct Unreadable: Error, CustomStringConvertible { var description: String { "EACCES (Permission denied)" } }
        let unreadable = try #require(
            loadError(["--node", "n"], environment: [:], fileReader: { _ in throw Unreadable() }))
        #expect(unreadable.description == "/etc/tabby/tabbyd.yaml: cannot read: EACCES (Permission denied)")
    }

    @Test(arguments: [
        (["--node"], "argument --node: needs a value"),
        (["--node", "--datastore", "/x"], "argument --node: needs a value"),
        (["node-1"], "argument node-1: unexpected argument"),
        (["--node", "n", "--frobnicate", "1"], "argument --frobnicate: unknown option"),
        (["--node", "n", "--help"], "argument --help: unknown option"),
        (["--node", "n", "--health-port", "ninety"], "argument --health-port: healthPort: expected an integer"),
        (["--node", "n", "--node-label", "rack"], "argument --node-label: nodeLabels: expected KEY=VALUE"),
        (["--node", "n", "--felix", "=1"], "argument --felix: felix: expected KEY=VALUE"),
        (["--node", "n", "--felix", "vxlanMTU=[1"], "argument --felix: felix.vxlanMTU: YAML syntax error"),
        (["--node", "n", "--felix", "vxlanMTU="], "argument --felix: felix.vxlanMTU: needs one value"),
        (["--node", "n", "--node-ip", "192.0.2.300/24"], "argument --node-ip: nodeIP: address \"192.0.2.300\""),
        (["--node", "n", "--log-format", "yaml"], "argument --log-format: logFormat: must be text or json"),
        (["--datastore", "/x"], "nodeName: required: set --node NAME, TABBYD_NODE_NAME or nodeName"),
    ])
    func everyArgumentError(arguments: [String], message: String) throws {
        let error = try #require(loadError(arguments))
        #expect(error.description.hasPrefix(message), "\(error)")
    }

    @Test(arguments: [
        (["TABBYD_HEALTHPORT": "1"], "environment variable TABBYD_HEALTHPORT: unknown setting"),
        (["TABBYD_HEALTH_PORT": "0"], "environment variable TABBYD_HEALTH_PORT: healthPort: must be a port"),
        (
            ["TABBYD_HEALTH_ENABLED": "maybe"],
            "environment variable TABBYD_HEALTH_ENABLED: healthEnabled: expected true"
        ),
        (["TABBYD_NODE_LABELS": "a=b,c"], "environment variable TABBYD_NODE_LABELS: nodeLabels: expected KEY=VALUE"),
        (["TABBYD_FELIX_VXLANMTU": "x"], "environment variable TABBYD_FELIX_VXLANMTU: felix.vxlanMTU: expected an"),
        (["TABBYD_FELIX_NOPE": "1"], "environment variable TABBYD_FELIX_NOPE: felix.NOPE: FelixConfiguration has no"),
        (["TABBYD_LOG_LEVEL": "chatty"], "environment variable TABBYD_LOG_LEVEL: logLevel: must be debug"),
    ])
    func everyEnvironmentError(environment: [String: String], message: String) throws {
        let error = try #require(loadError(["--node", "n"], environment: environment))
        #expect(error.description.hasPrefix(message), "\(error)")
    }

    @Test func otherEnvironmentVariablesAreIgnored() throws {
        let configuration = try load(["--node", "n"], environment: ["HOME": "/root", "TABBY_DATASTORE": "/x"])
        #expect(configuration.datastore == AgentConfiguration.defaultDatastore)
    }

    @Test func felixNamesAreCaseInsensitiveAndValuesAreTyped() throws {
        let configuration = try load(
            ["--node", "n", "--felix", "routerefreshinterval=45s", "--felix=FailsafeInboundHostPorts=[]"],
            environment: ["TABBYD_FELIX_IPV6SUPPORT": "false"])
        #expect(configuration.felix.routeRefreshInterval == "45s")
        #expect(configuration.felix.ipv6Support == false)
        #expect(configuration.felix.failsafeInboundHostPorts == [])
        #expect(
            Set(configuration.felixOverrides.keys) == [
                "routeRefreshInterval", "ipv6Support", "failsafeInboundHostPorts",
            ])
        let badDuration = try #require(loadError(["--node", "n", "--felix", "routeRefreshInterval=soon"]))
        #expect(badDuration.source == .argument("--felix"))
        #expect(badDuration.field == "felix.routeRefreshInterval")
        #expect(badDuration.reason.contains("is not a duration"))
    }

    @Test func effectiveFelixConfigurationLayersDefaultNodeAndLocal() throws {
        let configuration = try load(["--node", "n", "--felix", "vxlanMTU=1300"])
        var global = FelixConfigurationSpec()
        global.vxlanMTU = 1450
        global.ipipMTU = 1480
        global.routeRefreshInterval = "90s"
        var node = FelixConfigurationSpec()
        node.ipipMTU = 1400
        let effective = configuration.effectiveFelixConfiguration(default: global, node: node)
        #expect(effective.vxlanMTU == 1300)  // local
        #expect(effective.ipipMTU == 1400)  // node.<name>
        #expect(effective.routeRefreshInterval == "90s")  // default
        #expect(configuration.effectiveFelixConfiguration(default: nil, node: nil).vxlanMTU == 1300)
    }

    @Test func changedFieldsNameWhatAReloadChanged() throws {
        let old = try load(["--node", "n", "--felix", "vxlanMTU=1300"])
        let new = try load([
            "--node", "n", "--felix", "vxlanMTU=1200", "--felix", "ipipMTU=1400", "--log-level", "debug",
        ])
        #expect(new.changedFields(from: old) == ["logLevel", "felix.ipipMTU", "felix.vxlanMTU"])
        #expect(old.changedFields(from: old).isEmpty)
    }

    @Test func felixMetricNamesFromEachSource() throws {
        #expect(try load(["--node", "n", "--metrics-felix-names"]).metricsFelixNames)
        #expect(try !load(["--node", "n", "--metrics-felix-names", "false"]).metricsFelixNames)
        #expect(try load(["--node", "n"], environment: ["TABBYD_METRICS_FELIX_NAMES": "yes"]).metricsFelixNames)
        let file = "nodeName: n\nmetricsFelixNames: true\n"
        #expect(try load([], files: [defaultFile: file]).metricsFelixNames)
        #expect(
            try !load(["--metrics-felix-names=off"], environment: ["TABBYD_METRICS_FELIX_NAMES": "1"], files: [
                defaultFile: file
            ]).metricsFelixNames)
        let error = loadError([], files: [defaultFile: "nodeName: n\nmetricsFelixNames: \"true\"\n"])
        #expect(error?.field == "metricsFelixNames")
        let old = try load(["--node", "n"])
        #expect(try load(["--node", "n", "--metrics-felix-names"]).changedFields(from: old) == ["metricsFelixNames"])
        #expect(AgentConfiguration.usage.contains("--metrics-felix-names [BOOL]"))
    }

    @Test func helpIsRecognised() {
        #expect(AgentConfiguration.wantsHelp(["--node", "n", "--help"]))
        #expect(AgentConfiguration.wantsHelp(["-h"]))
        #expect(!AgentConfiguration.wantsHelp(["--node", "n"]))
        #expect(AgentConfiguration.usage.contains("--status-socket PATH"))
    }

    @Test func readFileReadsTextAndReportsAbsence() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path + "/tabbyd.yaml"
        try "nodeName: n\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try AgentConfiguration.readFile(path) == "nodeName: n\n")
        #expect(try AgentConfiguration.readFile(scratch.path + "/absent.yaml") == nil)
        #expect(throws: SystemCallError.self) { try AgentConfiguration.readFile(scratch.path) }  // a directory
        let loaded = try AgentConfiguration.load(arguments: ["--config", path], environment: [:])
        #expect(loaded.nodeName == "n" && loaded.configFile == path)

        try Data([0xff, 0xfe, 0x00]).write(to: URL(fileURLWithPath: path))
        #expect(throws: SystemCallError.self) { try AgentConfiguration.readFile(path) }
        let notText = try #require(
            loadError(["--config", path], environment: [:], fileReader: AgentConfiguration.readFile))
        #expect(notText.description == "\(path): cannot read: read \(path): the file is not UTF-8 text")
    }
}
