// nftables-bench: the NFTables module against `nft -f` / `nft add element`, interleaved in one run, in fresh
// network namespaces (tabby-bench-nft-*), printing medians and ratios. Run as root: bench/nftables/run.sh.
@preconcurrency import Glibc
import NFTables
import NetworkAddress

setvbuf(stdout, nil, _IOLBF, 0)

struct Row {
    let name: String
    let module: [Double]
    let nft: [Double]
    let busy: Double
}

let nftPath = "/usr/sbin/nft"

/// Loads the same state both ways, alternating which goes first, deleting the table between runs (untimed).
func compareLoads(_ name: String, repetitions: Int, transaction: () -> Transaction, file: String) throws -> Row {
    let busy = waitForQuietMachine()
    let namespace = try BenchNamespace(name.filter { $0.isLetter || $0.isNumber })
    defer { namespace.remove() }
    let path = "/tmp/\(namespace.name).nft"
    try Workload.write(file, to: path)
    defer { unlink(path) }
    let cleaner = try NFTablesSocket()
    func reset() throws {
        try cleaner.commit(Transaction([.addTable(Workload.table), .deleteTable(Workload.table)]))
        usleep(20_000)  // let deferred destruction of the old table finish before the next timing
    }
    func module() throws -> Double {
        try timed {
            let socket = try NFTablesSocket()  // opened and closed inside the timing, like a CLI run
            try socket.commit(transaction())
        }
    }
    func nft() throws -> Double { try timed { try run([nftPath, "-f", path]) } }

    var moduleTimes: [Double] = []
    var nftTimes: [Double] = []
    try reset()
    _ = try module()  // warm-up: page cache, module autoload
    try reset()
    _ = try nft()
    for repetition in 0..<repetitions {
        let order: [Bool] = repetition % 2 == 0 ? [true, false] : [false, true]
        for useModule in order {
            try reset()
            if useModule { moduleTimes.append(try module()) } else { nftTimes.append(try nft()) }
        }
    }
    try reset()
    print("\(name): module \(milliseconds(median(moduleTimes))) ms, nft \(milliseconds(median(nftTimes))) ms")
    return Row(name: name, module: moduleTimes, nft: nftTimes, busy: busy)
}

/// One element added to and deleted from a 100k set (the module on an open socket, nft as a process per
/// change), and the set listed back.
func compareOneElement(moduleRepetitions: Int, nftRepetitions: Int, listRepetitions: Int) throws -> [Row] {
    let busy = waitForQuietMachine()
    let namespace = try BenchNamespace("element")
    defer { namespace.remove() }
    let socket = try NFTablesSocket()
    try socket.commit(Workload.setTransaction(100_000))
    let element = [SetElement(.ipv4(IPv4Address(192, 0, 2, 1)))]
    var adds: [Double] = []
    var deletes: [Double] = []
    for _ in 0..<moduleRepetitions {
        adds.append(try timed { try socket.commit(Transaction([.addElements(element, to: Workload.set)])) })
        deletes.append(try timed { try socket.commit(Transaction([.deleteElements(element, from: Workload.set)])) })
    }
    var nftAdds: [Double] = []
    var nftDeletes: [Double] = []
    for _ in 0..<nftRepetitions {
        nftAdds.append(try timed { try run([nftPath, "add", "element", "inet", "bench", "s", "{ 192.0.2.1 }"]) })
        nftDeletes.append(try timed { try run([nftPath, "delete", "element", "inet", "bench", "s", "{ 192.0.2.1 }"]) })
    }
    print("one element: module add \(milliseconds(median(adds))) ms / delete \(milliseconds(median(deletes))) ms")

    // Reading the 100k set back, as a reconciler's resync does.
    var lists: [Double] = []
    var nftLists: [Double] = []
    for _ in 0..<listRepetitions {
        lists.append(
            try timed {
                let count = try socket.elements(of: Workload.set).count
                guard count == 100_000 else { throw BenchError("listed \(count) elements, not 100000") }
            })
        nftLists.append(try timed { try run([nftPath, "-j", "list", "set", "inet", "bench", "s"]) })
    }
    print("list 100k: module \(milliseconds(median(lists))) ms, nft \(milliseconds(median(nftLists))) ms")
    return [
        Row(name: "add 1 element to a 100k set", module: adds, nft: nftAdds, busy: busy),
        Row(name: "delete 1 element from a 100k set", module: deletes, nft: nftDeletes, busy: busy),
        Row(name: "list a 100k set", module: lists, nft: nftLists, busy: busy),
    ]
}

func runAll(quick: Bool) throws -> [Row] {
    guard geteuid() == 0 else { throw BenchError("run as root: the bench creates network namespaces") }
    let repetitions = quick ? 3 : 9
    let bigRepetitions = quick ? 3 : 7
    return [
        try compareLoads(
            "load set 10k", repetitions: repetitions, transaction: { Workload.setTransaction(10_000) },
            file: Workload.setFile(10_000)),
        try compareLoads(
            "load set 100k", repetitions: bigRepetitions, transaction: { Workload.setTransaction(100_000) },
            file: Workload.setFile(100_000)),
        try compareLoads(
            "load 1k chains + 2k rules", repetitions: repetitions, transaction: { Workload.chainsTransaction(1_000) },
            file: Workload.chainsFile(1_000)),
        try compareLoads(
            "load 10k chains + 20k rules", repetitions: bigRepetitions,
            transaction: { Workload.chainsTransaction(10_000) }, file: Workload.chainsFile(10_000)),
    ]
        + (try compareOneElement(
            moduleRepetitions: quick ? 50 : 201, nftRepetitions: quick ? 5 : 15, listRepetitions: quick ? 3 : 5))
}

func printTable(_ rows: [Row]) {
    print("")
    print(
        "| operation | NFTables module: median (min-max) | nft: median (min-max) | nft / module | runs | busy before |")
    print("|---|---|---|---|---|---|")
    for row in rows {
        let module = median(row.module)
        let nft = median(row.nft)
        let ratio = format(nft / module, digits: 1)
        print(
            "| \(row.name) | \(summary(row.module)) | \(summary(row.nft)) | \(ratio)x "
                + "| \(row.module.count), \(row.nft.count) | \(Int((row.busy * 100).rounded()))% |")
    }
}

func summary(_ times: [Double]) -> String {
    "\(milliseconds(median(times))) ms (\(milliseconds(times.min() ?? .nan))-\(milliseconds(times.max() ?? .nan)))"
}

do {
    printTable(try runAll(quick: CommandLine.arguments.contains("--quick")))
} catch {
    print("nftables-bench: \(error)")
    exit(1)
}
