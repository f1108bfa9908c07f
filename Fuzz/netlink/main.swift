import FuzzSupport
import Glibc

@testable import Netlink

// libFuzzer entry for the rtnetlink decoders (Sources/Netlink/Wire): the input is one received datagram, as
// the monitor and the dumps see it. Every message in it goes through every payload decoder (a route payload
// that arrives as a link is still bytes to survive) and the error and done replies; only a crash fails.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNetlinkDatagram(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let datagram = UnsafeRawBufferPointer(start: data, count: size)
    for message in MessageSequence(datagram) {
        _ = NetlinkEvent(message: message)
        let payload = message.payload
        _ = Route(routePayload: payload)
        _ = Link(linkPayload: payload)
        _ = InterfaceAddress(addressPayload: payload)
        _ = Neighbor(neighborPayload: payload)
        _ = FDBEntry(neighborPayload: payload)
        if let reply = KernelErrorReply(errorPayload: payload, flags: message.flags) {
            _ = reply.error(operation: "fuzz").description
        }
        _ = KernelErrorReply(donePayload: payload, flags: message.flags).error(operation: "fuzz").description
    }
    return 0
}

var argumentCount = CommandLine.argc
var argumentValues = Optional(CommandLine.unsafeArgv)
exit(LLVMFuzzerRunDriver(&argumentCount, &argumentValues, fuzzNetlinkDatagram))
