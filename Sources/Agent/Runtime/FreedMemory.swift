import Glibc

/// Gives the memory freed after the first sync back to the system.
///
/// Reading the datastore's snapshot allocates far more than is kept (file bytes, manifest trees, decoder
/// state, on several threads), and glibc keeps what was freed in its arenas. Once the node is programmed, what
/// remains is the cache and the kernel views; trimming returns the rest, so that VmRSS shows what tabbyd holds.
enum FreedMemory {
    static func returnToSystem() { _ = malloc_trim(0) }
}
