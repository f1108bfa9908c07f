import CalicoAPI
import Testing

@testable import Datastore

/// The file names of long resource names, and the hash they are made with.
@Suite("File datastore: file names of long names")
struct LongFileNameTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func sha256MatchesTheStandardsVectors(input: String, digest: String) {
        #expect(SHA256.hex(input.utf8) == digest)
    }

    @Test func namesUpTo245BytesKeepTheirFileNameLongerOnesAreHashed() {
        let fits = String(repeating: "a", count: 245)
        #expect(FileLayout.fileName(for: fits) == fits + ".yaml")
        #expect(FileLayout.storedName(fileName: fits + ".yaml") == .plain(fits))

        let long = String(repeating: "a", count: 246)
        let hashed = FileLayout.fileName(for: long)
        #expect(hashed == String(repeating: "a", count: 150) + "~" + SHA256.hex(long.utf8) + ".yaml")
        #expect(FileLayout.storedName(fileName: hashed) == .hashed)
        // Its temporary file fits in a file name too.
        let layout = FileLayout(root: "/d")
        let temporary = layout.temporaryPath(of: ResourceKey(kind: .node, name: long))
        #expect(temporary.dropFirst("/d/nodes/".count).utf8.count <= 255)
        #expect(FileLayout.isTemporary(fileName: String(temporary.dropFirst("/d/nodes/".count))))
    }
}
