import Foundation
import NetworkAddress
import Testing

@Suite("MACAddress")
struct MACAddressTests {
    @Test(arguments: [
        ("ee:ee:ee:ee:ee:ee", "ee:ee:ee:ee:ee:ee"),
        ("02:AB:cd:EF:01:23", "02:ab:cd:ef:01:23"),
        ("02-00-00-00-00-0F", "02:00:00:00:00:0f"),
    ])
    func validMACsAreWrittenLowerCaseWithColons(text: String, canonical: String) throws {
        #expect(try #require(MACAddress(text)).description == canonical)
    }

    @Test(arguments: [
        "", "ee:ee:ee:ee:ee", "ee:ee:ee:ee:ee:ee:ee", "2:0:0:0:0:1", "02:00-00:00:00:01", "02:00:00:00:00:0g",
        "0200.0000.0001", "02:00:00:00:00:01 ", "66:e4:5a:c9:41:0bb", "+2:00:00:00:00:01",
    ])
    func invalidMACsAreRejected(text: String) {
        #expect(MACAddress(text) == nil)
    }

    @Test func bytesAndNumbersRoundTrip() throws {
        let mac = try #require(MACAddress("66:E4:5a:c9:41:0b"))
        #expect(mac.value == 0x66e4_5ac9_410b)
        #expect(mac.bytes == [0x66, 0xe4, 0x5a, 0xc9, 0x41, 0x0b])
        #expect(MACAddress(bytes: mac.bytes) == mac)
        #expect(MACAddress(bytes: [1, 2, 3, 4, 5]) == nil)
        #expect(MACAddress(bytes: [1, 2, 3, 4, 5, 6, 7]) == nil)
        #expect(MACAddress(0x1_0000_0000_0001) == MACAddress(1))  // only 48 bits
        #expect(MACAddress(0).description == "00:00:00:00:00:00")
        #expect(MACAddress(0xffff_ffff_ffff).description == "ff:ff:ff:ff:ff:ff")
        #expect(MACAddress(1) < MACAddress(2))
    }

    @Test func codableUsesTheTextForm() throws {
        let macs = [MACAddress(0x66aa_bbcc_dd01), MACAddress(0x0242_0a00_0001)]
        let data = try JSONEncoder().encode(macs)
        #expect(String(decoding: data, as: UTF8.self) == #"["66:aa:bb:cc:dd:01","02:42:0a:00:00:01"]"#)
        #expect(try JSONDecoder().decode([MACAddress].self, from: data) == macs)
        let error = #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([MACAddress].self, from: Data(#"["66:aa:bb"]"#.utf8))
        }
        guard case .dataCorrupted(let context) = try #require(error) else {
            Issue.record("expected dataCorrupted, got \(String(describing: error))")
            return
        }
        #expect(
            context.debugDescription
                == #"invalid MAC address "66:aa:bb" (expected six hex pairs like ee:ee:ee:ee:ee:ee)"#)
    }
}
