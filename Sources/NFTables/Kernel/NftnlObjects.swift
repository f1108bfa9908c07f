import CNftnl

// Each libnftnl object lives in a final class that frees it, so no path leaks one.

final class NftnlTable {
    let pointer: OpaquePointer
    init() { pointer = nftnl_table_alloc() }
    deinit { nftnl_table_free(pointer) }
}

final class NftnlChain {
    let pointer: OpaquePointer
    init() { pointer = nftnl_chain_alloc() }
    deinit { nftnl_chain_free(pointer) }
}

final class NftnlSet {
    let pointer: OpaquePointer
    init() { pointer = nftnl_set_alloc() }
    deinit { nftnl_set_free(pointer) }
}

final class NftnlSetElement {
    let pointer: OpaquePointer
    init() { pointer = nftnl_set_elem_alloc() }
    deinit { nftnl_set_elem_free(pointer) }
}

final class NftnlRule {
    let pointer: OpaquePointer
    init() { pointer = nftnl_rule_alloc() }
    deinit { nftnl_rule_free(pointer) }
}

final class NftnlGeneration {
    let pointer: OpaquePointer
    init() { pointer = nftnl_gen_alloc() }
    deinit { nftnl_gen_free(pointer) }
}

/// libnftnl attribute numbers come from a mix of named and anonymous C enums; these take either.
@inline(__always) func attribute(_ value: Int) -> UInt16 { UInt16(value) }
@inline(__always) func attribute<T: RawRepresentable>(_ value: T) -> UInt16 where T.RawValue: BinaryInteger {
    UInt16(value.rawValue)
}

extension Array where Element == UInt8 {
    /// Calls a libnftnl setter with the bytes and their length.
    @discardableResult @inline(__always) func withBytes<R>(_ body: (UnsafeRawPointer, UInt32) -> R) -> R {
        withUnsafeBytes { body($0.baseAddress!, UInt32($0.count)) }
    }
}

/// Reads a libnftnl getter's (pointer, length) result as bytes.
@inline(__always) func bytes(_ pointer: UnsafeRawPointer?, _ length: UInt32) -> [UInt8] {
    guard let pointer else { return [] }
    return Array(UnsafeRawBufferPointer(start: pointer, count: Int(length)))
}
