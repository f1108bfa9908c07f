import Testing

@testable import ResourceCache

@Suite("MAC address text")
struct MACAddressTextTests {
    @Test(arguments: [
        ("ee:ee:ee:ee:ee:ee", "ee:ee:ee:ee:ee:ee"),
        ("02:AB:cd:EF:01:23", "02:ab:cd:ef:01:23"),
        ("02-00-00-00-00-0F", "02:00:00:00:00:0f"),
    ])
    func validMACsAreCanonicalised(text: String, canonical: String) {
        #expect(MACAddressText.normalized(text) == canonical)
    }

    @Test(arguments: [
        "", "ee:ee:ee:ee:ee", "ee:ee:ee:ee:ee:ee:ee", "2:0:0:0:0:1", "02:00-00:00:00:01", "02:00:00:00:00:0g",
        "0200.0000.0001", "02:00:00:00:00:01 ",
    ])
    func invalidMACsAreRejected(text: String) {
        #expect(MACAddressText.normalized(text) == nil)
    }
}
