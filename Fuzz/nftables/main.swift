import CNftnl
import FuzzSupport
import Glibc
@testable import NFTables

// libFuzzer entry for the nf_tables reply decoders (Sources/NFTables/Kernel): the input is one received
// datagram. Every message goes through the framing check and then through each decoder a dump or a commit
// uses (tables, chains, sets, set elements, rules with their expressions, the rule digest walk, the generation,
// acknowledgements); a malformed reply must be an NFTablesError, never a crash.

private let table = Table(family: .ip, name: "tabby")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNFTablesDatagram(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    // A copy aligned like the socket's receive buffer (libFuzzer's own data may sit anywhere).
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
    defer { buffer.deallocate() }
    if let data { buffer.copyMemory(from: UnsafeRawBufferPointer(start: data, count: size)) }
    try? Netlink.forEachMessage(in: UnsafeRawBufferPointer(buffer)) { message throws(NFTablesError) in
        if message.pointee.nlmsg_type == Netlink.errorType {
            if let acknowledgement = try? NetlinkAcknowledgement(message) {
                _ = acknowledgement.errno?.name
            }
            return
        }
        _ = try? NFTablesSocket.decodeTable(message)
        _ = try? NFTablesSocket.decodeChain(message, table: table)
        _ = try? NFTablesSocket.decodeSet(message, table: table)
        if let elements = try? NFTablesSocket.decodeElements(message) {
            _ = KernelElement.containsDuplicates(elements)
            _ = KernelElement.joinIntervals(elements)
        }
        _ = try? NFTablesSocket.decodeRule(message, table: table, chain: nil)
        _ = ListedRuleMessage(message, table: table)
        _ = try? NFTablesSocket.decodeGeneration(message)
    }
    return 0
}

var argumentCount = CommandLine.argc
var argumentValues = Optional(CommandLine.unsafeArgv)
exit(LLVMFuzzerRunDriver(&argumentCount, &argumentValues, fuzzNFTablesDatagram))
