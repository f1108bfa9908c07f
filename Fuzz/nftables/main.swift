import CNftnl
import FuzzSupport
import Glibc

@testable import NFTables

// libFuzzer entry for the nf_tables reply handling that is Tabby's own (Sources/NFTables/Kernel): the input is
// one received datagram. Every message goes through the framing check, acknowledgements (errno and extended
// ack), the rule-digest walk of listings, and the decoders' message checks. The decoders proper hand a checked
// message to libnftnl, which ends the process (its "ABI breakage" exit) on any attribute of the wrong size, so a
// fuzzer would only find that exit: they run only with TABBY_FUZZ_LIBNFTNL=1 set, to fuzz libnftnl itself.

private let table = Table(family: .ip, name: "tabby")
private let replyTypes = [
    NFT_MSG_NEWTABLE, NFT_MSG_NEWCHAIN, NFT_MSG_NEWSET, NFT_MSG_NEWSETELEM, NFT_MSG_NEWRULE, NFT_MSG_NEWGEN,
]
private let intoLibnftnl = getenv("TABBY_FUZZ_LIBNFTNL").map { String(cString: $0) == "1" } ?? false

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
        for type in replyTypes {
            // The check each decoder makes before libnftnl sees the message.
            _ = try? NFTablesSocket.checkReply(message, type, "fuzz")
        }
        _ = ListedRuleMessage(message, table: table)
        guard intoLibnftnl else { return }
        _ = try? NFTablesSocket.decodeTable(message)
        _ = try? NFTablesSocket.decodeChain(message, table: table)
        _ = try? NFTablesSocket.decodeSet(message, table: table)
        if let elements = try? NFTablesSocket.decodeElements(message) {
            _ = KernelElement.containsDuplicates(elements)
            _ = KernelElement.joinIntervals(elements)
        }
        _ = try? NFTablesSocket.decodeRule(message, table: table, chain: nil)
        _ = try? NFTablesSocket.decodeGeneration(message)
    }
    return 0
}

var argumentCount = CommandLine.argc
var argumentValues = Optional(CommandLine.unsafeArgv)
exit(LLVMFuzzerRunDriver(&argumentCount, &argumentValues, fuzzNFTablesDatagram))
