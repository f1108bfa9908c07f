import Glibc
import SystemError
import Testing

@Suite("Errno names and texts")
struct ErrnoTests {
    @Test func knownValuesPrintAsTheirSymbolicName() {
        #expect(Errno(EEXIST).name == "EEXIST")
        #expect(Errno(ENOENT).description == "ENOENT")
        #expect(Errno(rawValue: EADDRINUSE).name == "EADDRINUSE")
        #expect(Errno(EEXIST).message == "File exists")
        #expect(Errno(EEXIST).explained == "EEXIST (File exists)")
    }

    @Test func unknownValuesAreNamedByNumber() {
        #expect(Errno(4242).name == "errno 4242")
        #expect("\(Errno(4000))" == "errno 4000")
    }

    @Test func currentIsTheThreadsErrno() {
        #expect(open("/nonexistent/tabby", O_RDONLY) == -1)
        #expect(Errno.current == Errno(ENOENT))
    }
}
