import Foundation
import SystemError
import Testing

@testable import Netlink

/// Inputs that crashed `fuzz-netlink` (Fuzz/netlink), fed through the same decoders: each must now give an error
/// value, not a trap.
@Suite("Fuzz regressions: rtnetlink replies")
struct NetlinkFuzzRegressionTests {
    /// An NLMSG_ERROR whose error code is Int32.min: negating it to an errno overflowed and trapped.
    @Test func anErrorReplyWithTheLeastErrorCodeIsAnErrorNotATrap() throws {
        let crash = try #require(
            Data(
                base64Encoded:
                    "RAAAABgAAo5GAAAHAAAAAwAAAIAAAwABAAAA5wAIAA8AAQAAQ2QAAAgIAAEAywBxAAgABgAyJoAAAAUAAAjAAAIJCAAEAAMAAAA="
            ))
        var descriptions: [String] = []
        crash.withUnsafeBytes { bytes in
            for message in MessageSequence(bytes) {
                if let reply = KernelErrorReply(errorPayload: message.payload, flags: message.flags) {
                    descriptions.append(reply.error(operation: "route replace").description)
                }
            }
        }
        #expect(descriptions.count == 1)
        #expect(descriptions.first?.hasPrefix("route replace: errno -2147483648") == true, "\(descriptions)")
    }
}
