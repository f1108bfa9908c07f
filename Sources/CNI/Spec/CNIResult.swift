import NetworkAddress

/// A CNI Success result (spec section 5): the interfaces an attachment created, the addresses on them, its
/// routes and DNS. An IPAM plugin returns the abbreviated form: no `interfaces`, no `interface` index in `ips`.
///
/// ``json(version:)`` shapes it for the requested version; ``decode(_:field:)`` reads any supported version's
/// shape (a `prevResult` from a plugin before Tabby in the chain, or the result of a delegated IPAM plugin).
public struct CNIResult: Sendable, Equatable {
    public var interfaces: [Interface]
    public var ips: [IPConfig]
    public var routes: [Route]
    public var dns: DNS

    public init(interfaces: [Interface] = [], ips: [IPConfig] = [], routes: [Route] = [], dns: DNS = DNS()) {
        self.interfaces = interfaces
        self.ips = ips
        self.routes = routes
        self.dns = dns
    }

    public struct Interface: Sendable, Equatable {
        public var name: String
        /// As given: results from other plugins are passed on unchanged, so this is text, not a parsed MAC.
        public var mac: String?
        /// 1.1.0.
        public var mtu: Int?
        /// The container's namespace path for an interface inside it; nil for a host interface.
        public var sandbox: String?
        /// 1.1.0.
        public var socketPath: String?
        /// 1.1.0.
        public var pciID: String?

        public init(
            name: String, mac: String? = nil, mtu: Int? = nil, sandbox: String? = nil, socketPath: String? = nil,
            pciID: String? = nil
        ) {
            self.name = name
            self.mac = mac
            self.mtu = mtu
            self.sandbox = sandbox
            self.socketPath = socketPath
            self.pciID = pciID
        }
    }

    public struct IPConfig: Sendable, Equatable {
        /// The address with its prefix (`192.0.2.5/32`).
        public var address: CIDR
        public var gateway: IPAddress?
        /// The index into `interfaces` of the interface holding the address.
        public var interface: Int?

        public init(address: CIDR, gateway: IPAddress? = nil, interface: Int? = nil) {
            self.address = address
            self.gateway = gateway
            self.interface = interface
        }
    }

    public struct Route: Sendable, Equatable {
        public var destination: CIDR
        public var gateway: IPAddress?
        /// The 1.1.0 fields.
        public var mtu: Int?
        public var advmss: Int?
        public var priority: Int?
        public var table: Int?
        public var scope: Int?

        public init(
            destination: CIDR, gateway: IPAddress? = nil, mtu: Int? = nil, advmss: Int? = nil, priority: Int? = nil,
            table: Int? = nil, scope: Int? = nil
        ) {
            self.destination = destination
            self.gateway = gateway
            self.mtu = mtu
            self.advmss = advmss
            self.priority = priority
            self.table = table
            self.scope = scope
        }
    }

    public struct DNS: Sendable, Equatable {
        public var nameservers: [String]
        public var domain: String?
        public var search: [String]
        public var options: [String]

        public init(nameservers: [String] = [], domain: String? = nil, search: [String] = [], options: [String] = []) {
            self.nameservers = nameservers
            self.domain = domain
            self.search = search
            self.options = options
        }

        public var isEmpty: Bool { nameservers.isEmpty && domain == nil && search.isEmpty && options.isEmpty }
    }

    // MARK: Encoding

    /// The result as the runtime asked for it (`cniVersion` of the config).
    public func json(version: SpecVersion) -> JSONValue {
        var object: [String: JSONValue] = ["cniVersion": .string(version.description)]
        if !interfaces.isEmpty { object["interfaces"] = .array(interfaces.map { $0.json(version: version) }) }
        object["ips"] = .array(ips.map { $0.json(version: version) })
        if !routes.isEmpty { object["routes"] = .array(routes.map { $0.json(version: version) }) }
        if !dns.isEmpty { object["dns"] = dns.json }
        return .object(object)
    }
}

extension CNIResult.Interface {
    func json(version: SpecVersion) -> JSONValue {
        var object: [String: JSONValue] = ["name": .string(name)]
        if let mac { object["mac"] = .string(mac) }
        if let sandbox, !sandbox.isEmpty { object["sandbox"] = .string(sandbox) }
        if version.hasVersion11Features {
            if let mtu { object["mtu"] = .number(Double(mtu)) }
            if let socketPath { object["socketPath"] = .string(socketPath) }
            if let pciID { object["pciID"] = .string(pciID) }
        }
        return .object(object)
    }
}

extension CNIResult.IPConfig {
    func json(version: SpecVersion) -> JSONValue {
        var object: [String: JSONValue] = ["address": .string(address.description)]
        if version.resultsCarryIPVersion { object["version"] = .string(address.family == .v4 ? "4" : "6") }
        if let gateway { object["gateway"] = .string(gateway.description) }
        if let interface { object["interface"] = .number(Double(interface)) }
        return .object(object)
    }
}

extension CNIResult.Route {
    func json(version: SpecVersion) -> JSONValue {
        var object: [String: JSONValue] = ["dst": .string(destination.description)]
        if let gateway { object["gw"] = .string(gateway.description) }
        if version.hasVersion11Features {
            let extras: [(String, Int?)] = [
                ("mtu", mtu), ("advmss", advmss), ("priority", priority), ("table", table), ("scope", scope),
            ]
            for case (let key, let value?) in extras { object[key] = .number(Double(value)) }
        }
        return .object(object)
    }
}

extension CNIResult.DNS {
    var json: JSONValue {
        var object: [String: JSONValue] = [:]
        if !nameservers.isEmpty { object["nameservers"] = .array(nameservers.map(JSONValue.string)) }
        if let domain { object["domain"] = .string(domain) }
        if !search.isEmpty { object["search"] = .array(search.map(JSONValue.string)) }
        if !options.isEmpty { object["options"] = .array(options.map(JSONValue.string)) }
        return .object(object)
    }
}

// MARK: Decoding

extension CNIResult {
    /// Reads a result of any supported version: a `prevResult`, or what a delegated IPAM plugin printed. Wrong
    /// shapes are errors naming the field path.
    public static func decode(_ field: JSONField) throws(CNIError) -> CNIResult {
        let object = try field.object()
        var result = CNIResult()
        if let list = try object.optional("interfaces")?.array() {
            result.interfaces = try list.map { (item) throws(CNIError) in try Interface.decode(item) }
        }
        if let list = try object.optional("ips")?.array() {
            result.ips = try list.map { (item) throws(CNIError) in try IPConfig.decode(item) }
        }
        if let list = try object.optional("routes")?.array() {
            result.routes = try list.map { (item) throws(CNIError) in try Route.decode(item) }
        }
        if let dns = try object.optional("dns") { result.dns = try DNS.decode(dns) }
        for (index, ip) in result.ips.enumerated() {
            if let interface = ip.interface, !result.interfaces.indices.contains(interface) {
                throw object.field("ips").invalid(
                    "entry \(index) names interface \(interface), but there are \(result.interfaces.count) interfaces")
            }
        }
        return result
    }
}

extension CNIResult.Interface {
    static func decode(_ field: JSONField) throws(CNIError) -> Self {
        let object = try field.object()
        return Self(
            name: try object.required("name").string(), mac: try object.optional("mac")?.string(),
            mtu: try object.optional("mtu")?.integer(), sandbox: try object.optional("sandbox")?.string(),
            socketPath: try object.optional("socketPath")?.string(), pciID: try object.optional("pciID")?.string())
    }
}

extension CNIResult.IPConfig {
    static func decode(_ field: JSONField) throws(CNIError) -> Self {
        let object = try field.object()
        let address = try object.required("address").cidr()
        if let version = try object.optional("version") {
            let text = try version.string()
            guard text == (address.family == .v4 ? "4" : "6") else {
                throw version.invalid("\"\(text)\" does not match the family of address \(address)")
            }
        }
        let gateway = try object.optional("gateway")?.address()
        if let gateway, gateway.family != address.family {
            throw object.field("gateway").invalid("\(gateway) is not of the family of address \(address)")
        }
        let interface = try object.optional("interface")?.integer()
        if let interface, interface < 0 { throw object.field("interface").invalid("\(interface) is negative") }
        return Self(address: address, gateway: gateway, interface: interface)
    }
}

extension CNIResult.Route {
    static func decode(_ field: JSONField) throws(CNIError) -> Self {
        let object = try field.object()
        let destination = try object.required("dst").cidr()
        let gateway = try object.optional("gw")?.address()
        if let gateway, gateway.family != destination.family {
            throw object.field("gw").invalid("\(gateway) is not of the family of dst \(destination)")
        }
        return Self(
            destination: destination, gateway: gateway, mtu: try object.optional("mtu")?.integer(),
            advmss: try object.optional("advmss")?.integer(), priority: try object.optional("priority")?.integer(),
            table: try object.optional("table")?.integer(), scope: try object.optional("scope")?.integer())
    }
}

extension CNIResult.DNS {
    static func decode(_ field: JSONField) throws(CNIError) -> Self {
        let object = try field.object()
        return Self(
            nameservers: try object.optional("nameservers")?.strings() ?? [],
            domain: try object.optional("domain")?.string(), search: try object.optional("search")?.strings() ?? [],
            options: try object.optional("options")?.strings() ?? [])
    }
}
