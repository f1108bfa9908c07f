import Glibc
import NFTables
import NetworkAddress

/// The workloads of perf-baselines.md, built both as a module transaction and as an `nft -f` file.
enum Workload {
    static let table = Table(family: .inet, name: "bench")
    static let set = NamedSet(table: table, name: "s", keyType: .ipv4Address)
    static let input = Chain(table: table, name: "input", base: BaseChain(type: .filter, hook: .input, priority: 0))
    static let forward = Chain(
        table: table, name: "forward", base: BaseChain(type: .filter, hook: .forward, priority: 0))

    static func address(_ index: Int) -> IPv4Address { IPv4Address(0x0A00_0000 &+ UInt32(index + 1)) }

    // MARK: A set of N addresses with one rule using it

    static func setTransaction(_ count: Int) -> Transaction {
        var transaction = Transaction()
        transaction.add(table)
        transaction.add(set)
        transaction.add((0..<count).map { SetElement(.ipv4(address($0))) }, to: set)
        transaction.add(input)
        transaction.add(Rule(in: input, [.lookup([.ipv4(.saddr)], set: set.name), .counter, .accept]))
        return transaction
    }

    static func setFile(_ count: Int) -> String {
        var text = "table inet bench {\n\tset s {\n\t\ttype ipv4_addr\n\t\telements = { "
        text += (0..<count).map { address($0).description }.joined(separator: ",\n\t\t\t")
        text += " }\n\t}\n\tchain input {\n\t\ttype filter hook input priority 0; policy accept;\n"
        text += "\t\tip saddr @s counter accept\n\t}\n}\n"
        return text
    }

    // MARK: N chains, each with one rule, and a base chain with N jumps to them

    static func chainName(_ index: Int) -> String { "c\(index)" }
    static func interfaceName(_ index: Int) -> String {
        let hex = String(index, radix: 16)
        return "cali" + String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }

    static func chainsTransaction(_ count: Int) -> Transaction {
        var transaction = Transaction()
        transaction.add(table)
        for index in 0..<count {
            let chain = Chain(table: table, name: chainName(index))
            transaction.add(chain)
            transaction.add(
                Rule(in: chain, [.ip(.saddr, .eq, address(index)), .tcp(.dport, .eq, 80), .counter, .accept]))
        }
        transaction.add(forward)
        for index in 0..<count {
            transaction.add(Rule(in: forward, [.meta(.iifname, .eq, interfaceName(index)), .jump(chainName(index))]))
        }
        return transaction
    }

    static func chainsFile(_ count: Int) -> String {
        var lines = ["table inet bench {"]
        for index in 0..<count {
            lines.append(
                "\tchain \(chainName(index)) {\n\t\tip saddr \(address(index)) tcp dport 80 counter accept\n\t}")
        }
        lines.append("\tchain forward {\n\t\ttype filter hook forward priority 0; policy accept;")
        for index in 0..<count {
            lines.append("\t\tiifname \"\(interfaceName(index))\" jump \(chainName(index))")
        }
        lines.append("\t}\n}")
        return lines.joined(separator: "\n") + "\n"
    }

    static func write(_ text: String, to path: String) throws {
        guard let file = fopen(path, "w") else { throw BenchError("cannot write \(path)") }
        defer { fclose(file) }
        guard fputs(text, file) >= 0 else { throw BenchError("cannot write \(path)") }
    }
}
