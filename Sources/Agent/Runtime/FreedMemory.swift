import Glibc

/// Gives the memory freed after the first sync back to the system.
///
/// Reading the datastore's snapshot allocates far more than is kept (file bytes, manifest trees, decoder
/// state, on several threads), and glibc keeps what was freed in its arenas. Once the node is programmed, what
/// remains is the cache and the kernel views; trimming returns the rest, so that VmRSS shows what tabbyd holds.
enum FreedMemory {
    /// glibc's `malloc_trim` (declared in `malloc.h`, which the Glibc module leaves out), looked up once.
    private static let trim: (@convention(c) (Int) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
    }()

    static func returnToSystem() { _ = trim?(0) }
}
