import NetworkAddress
import CalicoAPI
import NFTables
import NetworkAddress
import PolicyRendering

/// A packet as the interpreter sees it: interfaces, the raw network and transport headers, conntrack state.
struct KernelPacket {
    var iifname: String
    var oifname: String
    var family: NFTables.Family
    /// The network header (IPv4: 20 bytes, IPv6: 40 bytes) with the addresses in place.
    var network: [UInt8]
    /// The first 8 bytes of the transport header (ports, or ICMP type and code).
    var transport: [UInt8]
    var l4proto: UInt8
    var ctState: UInt32 = 8  // new
    var mark: UInt32 = 0
}

/// What the ruleset decided at a hook.
enum HookVerdict: Equatable {
    case accept
    case drop
}

/// Evaluates a desired table on packets the way nf_tables does, for the expressions the renderer uses: 16
/// 32-bit registers (the 16-byte registers alias them four at a time), compares, ranges, bitwise, payload and
/// meta loads, set and verdict map lookups, jumps, gotos and returns. Anything it does not model fails the test
/// instead of guessing.
struct RulesetInterpreter {
    let table: DesiredTable

    enum Failure: Error, CustomStringConvertible {
        case unsupported(String)
        var description: String {
            switch self {
            case .unsupported(let what): "the interpreter does not model \(what)"
            }
        }
    }

    /// Runs the base chain on `hook` (the only one of this table) on the packet.
    func run(hook: Hook, _ packet: inout KernelPacket) throws -> HookVerdict {
        guard let base = table.chains.values.first(where: { $0.chain.base?.hook == hook }) else { return .accept }
        var stack: [(chain: String, next: Int)] = []
        var chain = base.name
        var index = 0
        var depth = 0
        while true {
            depth += 1
            if depth > 10_000 { throw Failure.unsupported("a loop") }
            guard let rules = table.chains[chain]?.rules else { throw Failure.unsupported("missing chain \(chain)") }
            if index >= rules.count {
                // End of a chain: an implicit return; off the base chain, the policy.
                guard let caller = stack.popLast() else {
                    return base.chain.base?.policy == .drop ? .drop : .accept
                }
                chain = caller.chain
                index = caller.next
                continue
            }
            let outcome = try evaluate(rules[index], &packet)
            switch outcome {
            case nil, .continue?:
                index += 1
            case .accept?: return .accept
            case .drop?: return .drop
            case .return?:
                guard let caller = stack.popLast() else { return base.chain.base?.policy == .drop ? .drop : .accept }
                chain = caller.chain
                index = caller.next
            case .jump(let target)?:
                stack.append((chain, index + 1))
                chain = target
                index = 0
            case .goto(let target)?:
                chain = target
                index = 0
            }
        }
    }

    /// One rule: nil when a match failed (next rule), else the verdict (`continue` when it has none).
    private func evaluate(_ rule: NFTables.Rule, _ packet: inout KernelPacket) throws -> Verdict? {
        var registers = [UInt8](repeating: 0, count: 64)
        func offset(_ register: Register) throws -> Int {
            switch register.rawValue {
            case 1...4: return Int(register.rawValue - 1) * 16
            case 8...23: return Int(register.rawValue - 8) * 4
            default: throw Failure.unsupported("register \(register.rawValue)")
            }
        }
        func store(_ bytes: [UInt8], _ register: Register) throws {
            let start = try offset(register)
            // A load clears the rest of its last 32-bit word, as the kernel does.
            let end = start + ((bytes.count + 3) & ~3)
            for position in start..<end { registers[position] = 0 }
            for (position, byte) in bytes.enumerated() { registers[start + position] = byte }
        }
        func load(_ register: Register, _ count: Int) throws -> [UInt8] {
            let start = try offset(register)
            return Array(registers[start..<start + count])
        }
        var verdictRegister: Verdict?
        for expression in rule.expressions {
            switch expression {
            case .meta(let key, let register):
                switch key {
                case .iifname: try store(ifname(packet.iifname), register)
                case .oifname: try store(ifname(packet.oifname), register)
                case .l4proto: try store([packet.l4proto], register)
                case .nfproto: try store([packet.family == .ip ? 2 : 10], register)
                case .mark: try store(hostBytes(packet.mark), register)
                default: throw Failure.unsupported("meta \(key)")
                }
            case .setMeta(.mark, let register):
                packet.mark = UInt32(hostBytes: try load(register, 4))
            case .payload(let base, let position, let length, let register):
                let source: [UInt8]
                switch base {
                case .network: source = packet.network
                case .transport: source = packet.transport
                case .link: throw Failure.unsupported("link-layer payload")
                }
                try store(Array(source[Int(position)..<Int(position + length)]), register)
            case .compare(let register, let op, let data):
                let value = try load(register, data.count)
                let holds: Bool
                switch op {
                case .eq: holds = value == data
                case .neq: holds = value != data
                // The kernel compares other operators with memcmp: byte order is network order.
                case .lt: holds = value.lexicographicallyPrecedes(data)
                case .lte: holds = !data.lexicographicallyPrecedes(value)
                case .gt: holds = data.lexicographicallyPrecedes(value)
                case .gte: holds = !value.lexicographicallyPrecedes(data)
                }
                if !holds { return nil }
            case .range(let register, let op, let from, let to):
                let value = try load(register, from.count)
                let inside = !value.lexicographicallyPrecedes(from) && !to.lexicographicallyPrecedes(value)
                if (op == .eq) != inside { return nil }
            case .bitwise(let source, let destination, let mask, let xor):
                let value = try load(source, mask.count)
                try store(zip(zip(value, mask), xor).map { ($0.0 & $0.1) ^ $1 }, destination)
            case .lookup(let register, let name, let destination, let inverted):
                guard let set = table.sets[name] else { throw Failure.unsupported("missing set \(name)") }
                let key = try load(register, set.namedSet.keyType.kernelLength)
                let found = set.elements.first { element in
                    guard let end = element.keyEnd else { return element.key == key }
                    return !key.lexicographicallyPrecedes(element.key) && !end.lexicographicallyPrecedes(key)
                }
                if destination == .verdict {
                    guard let found else { return nil }
                    verdictRegister = found.verdict
                } else if destination != nil {
                    throw Failure.unsupported("data maps")
                } else if (found != nil) == inverted {
                    return nil
                }
            case .ct(.state, let register):
                try store(hostBytes(packet.ctState), register)
            case .counter, .log, .masquerade, .nat:
                continue
            case .immediate(let data, let register):
                if register == .verdict { throw Failure.unsupported("immediate verdict data") }
                try store(data, register)
            case .verdict(let verdict):
                verdictRegister = verdict
            default:
                throw Failure.unsupported("\(expression)")
            }
            if let verdict = verdictRegister, verdict != .continue { return verdict }
        }
        return verdictRegister ?? .continue
    }

    private func ifname(_ name: String) -> [UInt8] {
        Array(name.utf8) + [UInt8](repeating: 0, count: 16 - name.utf8.count)
    }

    private func hostBytes(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }
}

extension UInt32 {
    init(hostBytes bytes: [UInt8]) {
        var value: UInt32 = 0
        withUnsafeMutableBytes(of: &value) { raw in
            for index in 0..<Swift.min(4, bytes.count) { raw[index] = bytes[index] }
        }
        self = value
    }
}

extension KernelPacket {
    /// A packet with these addresses, protocol and ports (or ICMP type and code).
    init(
        iifname: String, oifname: String, source: IPAddress, destination: IPAddress, protocol proto: UInt8,
        sourcePort: UInt16? = nil, destinationPort: UInt16? = nil, icmpType: UInt8? = nil, icmpCode: UInt8? = nil
    ) {
        self.iifname = iifname
        self.oifname = oifname
        l4proto = proto
        switch source {
        case .v4:
            family = .ip
            network = [UInt8](repeating: 0, count: 12) + source.bytes + destination.bytes
        case .v6:
            family = .ip6
            network = [UInt8](repeating: 0, count: 8) + source.bytes + destination.bytes
        }
        if let icmpType {
            transport = [icmpType, icmpCode ?? 0] + [UInt8](repeating: 0, count: 6)
        } else {
            let sport = sourcePort ?? 0
            let dport = destinationPort ?? 0
            transport =
                [UInt8(sport >> 8), UInt8(sport & 0xff), UInt8(dport >> 8), UInt8(dport & 0xff)]
                + [UInt8](repeating: 0, count: 4)
        }
    }
}
