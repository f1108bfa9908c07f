import CNftnl
import Foundation
import SystemError
import Testing

@testable import NFTables

/// Inputs that crashed `fuzz-nftables` (Fuzz/nftables), fed through the same decoders: each must now give an
/// `NFTablesError`, not end the process.
@Suite("Fuzz regressions: nf_tables replies")
struct NFTablesFuzzRegressionTests {
    private func eachMessage(_ base64: String, _ body: (UnsafePointer<nlmsghdr>) throws -> Void) throws {
        let bytes = try #require(Data(base64Encoded: base64))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
        defer { buffer.deallocate() }
        bytes.copyBytes(to: buffer)
        var messages = 0
        try Netlink.forEachMessage(in: UnsafeRawBufferPointer(buffer)) { message throws(NFTablesError) in
            messages += 1
            do { try body(message) } catch let error as NFTablesError { throw error } catch {
                Issue.record("\(error)")
            }
        }
        #expect(messages == 1)
    }

    /// A NEWGEN reply handed to the table decoder: libnftnl took its 8-byte process name for the 4-byte
    /// NFTA_TABLE_USE and exited the process ("ABI breakage"). The decoders now check the message type first.
    @Test func aReplyOfAnotherTypeIsRefusedBeforeLibnftnlSeesIt() throws {
        let generation = "MAAAAA8KAAAFAAAAC3AAAAAAAAIIAAEAAAAAAggAAgAAAHALDAADAHB5dGhvbjMA"
        let table = Table(family: .ip, name: "tabby")
        try eachMessage(generation) { message in
            #expect(throws: NFTablesError.self) { try NFTablesSocket.decodeTable(message) }
            #expect(throws: NFTablesError.self) { try NFTablesSocket.decodeChain(message, table: table) }
            #expect(throws: NFTablesError.self) { try NFTablesSocket.decodeSet(message, table: table) }
            #expect(throws: NFTablesError.self) { try NFTablesSocket.decodeElements(message) }
            #expect(throws: NFTablesError.self) { try NFTablesSocket.decodeRule(message, table: table, chain: nil) }
            do {
                _ = try NFTablesSocket.decodeTable(message)
            } catch {
                #expect("\(error)".contains("NEWTABLE expected, got message type 2575"), "\(error)")
            }
            // It is a good NEWGEN, and decodes as one.
            let decoded = try NFTablesSocket.decodeGeneration(message)
            #expect(decoded == 2)
        }
    }

    /// An NLMSG_ERROR whose error code is Int32.min: negating it to an errno would overflow and trap.
    @Test func anAcknowledgementWithTheLeastErrorCodeIsAnErrorNotATrap() throws {
        var bytes = [UInt8](repeating: 0, count: 36)
        withUnsafeBytes(of: UInt32(36).littleEndian) { bytes.replaceSubrange(0..<4, with: $0) }
        bytes[4] = 2  // NLMSG_ERROR
        withUnsafeBytes(of: Int32.min.littleEndian) { bytes.replaceSubrange(16..<20, with: $0) }
        try eachMessage(Data(bytes).base64EncodedString()) { message in
            let acknowledgement = try NetlinkAcknowledgement(message)
            #expect(acknowledgement.errno == Errno(Int32.min))
            #expect(acknowledgement.errno?.name == "errno -2147483648")
        }
    }
}
