/// A selector compiled for evaluation: a flat array of tests and forward jumps, run with one Boolean register.
///
/// `&&` and `||` become short-circuit jumps, and `!` is pushed down to the tests (De Morgan), so evaluation
/// is one pass over a small array with no recursion and no heap allocation. A label read by several tests
/// is looked up once per evaluation (hashing the key is most of the cost). Values are compared as UTF-8
/// bytes, as Calico (Go) compares strings; Swift's `==` on `String` alone would also equate canonically
/// equivalent Unicode, which Calico does not.
struct SelectorProgram: Sendable {
    enum Opcode: UInt8, Sendable {
        /// `all()` / `global()`: true (false when negated).
        case constant
        case has, equal, notEqual, inSet, notInSet, contains, startsWith, endsWith
        /// Jump to `operand` when the register is false (true), leaving it as it is.
        case jumpIfFalse, jumpIfTrue
    }

    struct Instruction: Sendable {
        var opcode: Opcode
        /// Tests: invert the result.
        var negated: Bool
        /// Tests: index into `keys`.
        var key: Int32
        /// `equal`...`endsWith`: index into `values`; `inSet`/`notInSet`: index into `sets`; jumps: target.
        var operand: Int32
        /// Tests of a label that more than one test reads: where its value is kept during an evaluation.
        var slot: Int32 = -1
    }

    /// The members of an `in` set, sorted by bytes without duplicates, kept both as `String`s (for Swift's
    /// fast comparison of ASCII) and as bytes (for everything else).
    struct ValueSet: Sendable {
        var strings: [String]
        var bytes: [[UInt8]]
        /// Small all-ASCII sets are scanned with `isEqual`; others are binary-searched by bytes.
        var scan: Bool
    }

    private(set) var instructions: [Instruction] = []
    private(set) var keys: [String] = []
    /// Comparison values, in parallel arrays so that reading one field does not copy the others.
    private(set) var valueStrings: [String] = []
    private(set) var valueBytes: [[UInt8]] = []
    private(set) var valueIsASCII: [Bool] = []
    private(set) var sets: [ValueSet] = []
    private(set) var slotCount = 0

    init(_ expression: SelectorExpression) {
        var keyIndexes: [String: Int32] = [:]
        emit(expression, negated: false, keyIndexes: &keyIndexes)
        threadJumps()
        assignSlots()
    }

    // MARK: Compiling

    private mutating func emit(_ expression: SelectorExpression, negated: Bool, keyIndexes: inout [String: Int32]) {
        switch expression {
        case .all, .global:
            append(.constant, negated: negated)
        case .has(let key):
            append(.has, negated: negated, key: index(of: key, in: &keyIndexes))
        case .equal(let key, let value):
            emitComparison(.equal, key, value, negated, &keyIndexes)
        case .notEqual(let key, let value):
            emitComparison(.notEqual, key, value, negated, &keyIndexes)
        case .contains(let key, let value):
            emitComparison(.contains, key, value, negated, &keyIndexes)
        case .startsWith(let key, let value):
            emitComparison(.startsWith, key, value, negated, &keyIndexes)
        case .endsWith(let key, let value):
            emitComparison(.endsWith, key, value, negated, &keyIndexes)
        case .in(let key, let members):
            emitSet(.inSet, key, members, negated, &keyIndexes)
        case .notIn(let key, let members):
            emitSet(.notInSet, key, members, negated, &keyIndexes)
        case .not(let operand):
            emit(operand, negated: !negated, keyIndexes: &keyIndexes)
        case .and(let operands):
            // !(a && b) is !a || !b.
            emitChain(operands, isAnd: !negated, negated: negated, keyIndexes: &keyIndexes)
        case .or(let operands):
            emitChain(operands, isAnd: negated, negated: negated, keyIndexes: &keyIndexes)
        }
    }

    private mutating func emitComparison(
        _ opcode: Opcode, _ key: String, _ value: String, _ negated: Bool, _ keyIndexes: inout [String: Int32]
    ) {
        valueStrings.append(value)
        valueBytes.append(Array(value.utf8))
        valueIsASCII.append(value.utf8.allSatisfy { $0 < 0x80 })
        append(opcode, negated: negated, key: index(of: key, in: &keyIndexes), operand: Int32(valueStrings.count - 1))
    }

    private mutating func emitSet(
        _ opcode: Opcode, _ key: String, _ members: [String], _ negated: Bool, _ keyIndexes: inout [String: Int32]
    ) {
        // Sorted with duplicates removed even when the tree was built by hand.
        let members = SelectorExpression.canonicalSet(members)
        let scan = members.count <= 16 && members.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } }
        sets.append(ValueSet(strings: members, bytes: members.map { Array($0.utf8) }, scan: scan))
        append(opcode, negated: negated, key: index(of: key, in: &keyIndexes), operand: Int32(sets.count - 1))
    }

    /// An `&&` chain jumps to its end on the first false operand, an `||` chain on the first true one.
    private mutating func emitChain(
        _ operands: [SelectorExpression], isAnd: Bool, negated: Bool, keyIndexes: inout [String: Int32]
    ) {
        guard !operands.isEmpty else {
            // An empty && is true and an empty || is false; with the negation folded in, an empty chain is
            // true exactly when it is an && chain.
            append(.constant, negated: !isAnd)
            return
        }
        var exits: [Int] = []
        for (position, operand) in operands.enumerated() {
            emit(operand, negated: negated, keyIndexes: &keyIndexes)
            if position < operands.count - 1 {
                exits.append(instructions.count)
                append(isAnd ? .jumpIfFalse : .jumpIfTrue, negated: false)
            }
        }
        for exit in exits { instructions[exit].operand = Int32(instructions.count) }
    }

    private mutating func append(_ opcode: Opcode, negated: Bool, key: Int32 = 0, operand: Int32 = 0) {
        instructions.append(Instruction(opcode: opcode, negated: negated, key: key, operand: operand))
    }

    private mutating func index(of key: String, in keyIndexes: inout [String: Int32]) -> Int32 {
        if let existing = keyIndexes[key] { return existing }
        keys.append(key)
        let index = Int32(keys.count - 1)
        keyIndexes[key] = index
        return index
    }

    /// A jump that lands on another jump is redirected to where that one goes: the register is unchanged in
    /// between, so a jump of the same kind is certainly taken and one of the other kind certainly is not.
    private mutating func threadJumps() {
        for position in instructions.indices {
            let opcode = instructions[position].opcode
            guard opcode == .jumpIfFalse || opcode == .jumpIfTrue else { continue }
            var target = Int(instructions[position].operand)
            while target < instructions.count {
                let next = instructions[target].opcode
                if next == opcode {
                    target = Int(instructions[target].operand)
                } else if next == .jumpIfFalse || next == .jumpIfTrue {
                    target += 1
                } else {
                    break
                }
            }
            instructions[position].operand = Int32(target)
        }
    }

    /// Gives a cache slot to each label key that more than one test reads.
    private mutating func assignSlots() {
        var readers = [Int](repeating: 0, count: keys.count)
        for instruction in instructions where instruction.isTest { readers[Int(instruction.key)] += 1 }
        var slots = [Int32](repeating: -1, count: keys.count)
        for (key, count) in readers.enumerated() where count > 1 {
            slots[key] = Int32(slotCount)
            slotCount += 1
        }
        for position in instructions.indices where instructions[position].isTest {
            instructions[position].slot = slots[Int(instructions[position].key)]
        }
    }

    // MARK: Evaluating

    /// What an evaluation has learnt about a label read by several tests.
    enum CachedLabel {
        case unknown, absent
        case present(String)
    }

    func evaluate<L: LabelLookup>(_ labels: L) -> Bool {
        guard slotCount > 0 else { return run(labels, cache: nil) }
        // A few words on the stack: no heap allocation.
        return withUnsafeTemporaryAllocation(of: CachedLabel.self, capacity: slotCount) { cache in
            cache.initialize(repeating: .unknown)
            defer { cache.deinitialize() }
            return run(labels, cache: cache.baseAddress)
        }
    }

    @inline(__always)
    private func run<L: LabelLookup>(_ labels: L, cache: UnsafeMutablePointer<CachedLabel>?) -> Bool {
        instructions.withUnsafeBufferPointer { code in
            var result = true
            var pc = 0
            while pc < code.count {
                let instruction = code[pc]
                switch instruction.opcode {
                case .jumpIfFalse:
                    if !result {
                        pc = Int(instruction.operand)
                        continue
                    }
                case .jumpIfTrue:
                    if result {
                        pc = Int(instruction.operand)
                        continue
                    }
                case .constant:
                    result = !instruction.negated
                default:
                    let value = lookUp(instruction, labels, cache)
                    result = test(instruction, value) != instruction.negated
                }
                pc += 1
            }
            return result
        }
    }

    @inline(__always)
    private func lookUp<L: LabelLookup>(
        _ instruction: Instruction, _ labels: L, _ cache: UnsafeMutablePointer<CachedLabel>?
    ) -> String? {
        guard instruction.slot >= 0, let cache else {
            return labels.labelValue(forKey: keys[Int(instruction.key)])
        }
        let entry = cache + Int(instruction.slot)
        switch entry.pointee {
        case .absent:
            return nil
        case .present(let value):
            return value
        case .unknown:
            let value = labels.labelValue(forKey: keys[Int(instruction.key)])
            entry.pointee = value.map(CachedLabel.present) ?? .absent
            return value
        }
    }

    @inline(__always)
    private func test(_ instruction: Instruction, _ value: String?) -> Bool {
        guard let value else {
            // Absent labels: only the negative comparisons hold.
            return instruction.opcode == .notEqual || instruction.opcode == .notInSet
        }
        let operand = Int(instruction.operand)
        switch instruction.opcode {
        case .has:
            return true
        case .equal:
            return isEqual(operand, value)
        case .notEqual:
            return !isEqual(operand, value)
        case .contains:
            return withUTF8(value) { containsBytes($0, valueBytes[operand]) }
        case .startsWith:
            return withUTF8(value) { hasPrefixBytes($0, valueBytes[operand]) }
        case .endsWith:
            return withUTF8(value) { hasSuffixBytes($0, valueBytes[operand]) }
        case .inSet:
            return setContains(operand, value)
        case .notInSet:
            return !setContains(operand, value)
        case .constant, .jumpIfFalse, .jumpIfTrue:
            return true
        }
    }

    /// Byte equality of a label value and comparison value `index`.
    ///
    /// For an ASCII comparison value Swift's `==` is tried first: it is fast for small strings, and it never
    /// says "different" for equal bytes. It can say "equal" for different bytes only when the label value is
    /// a canonically equivalent non-ASCII spelling (KELVIN SIGN for "K"); every such spelling of ASCII text
    /// is longer in UTF-8, so equal UTF-8 lengths settle it.
    @inline(__always)
    private func isEqual(_ index: Int, _ value: String) -> Bool {
        if valueIsASCII[index] {
            return value == valueStrings[index] && value.utf8.count == valueBytes[index].count
        }
        return withUTF8(value) { equalBytes($0, valueBytes[index]) }
    }

    /// Membership of set `index`, by bytes.
    private func setContains(_ index: Int, _ value: String) -> Bool {
        if sets[index].scan {
            // All members are ASCII, so the same reasoning as in `isEqual` applies.
            let count = value.utf8.count
            for member in sets[index].strings.indices where value == sets[index].strings[member] {
                return count == sets[index].bytes[member].count
            }
            return false
        }
        return withUTF8(value) { bytes in
            var low = 0
            var high = sets[index].bytes.count
            while low < high {
                let middle = (low + high) / 2
                let order = sets[index].bytes[middle].withUnsafeBufferPointer { compareBytes($0, bytes) }
                if order == 0 { return true }
                if order < 0 { low = middle + 1 } else { high = middle }
            }
            return false
        }
    }
}

extension SelectorProgram.Instruction {
    var isTest: Bool {
        switch opcode {
        case .constant, .jumpIfFalse, .jumpIfTrue: false
        default: true
        }
    }
}

// MARK: Byte comparisons

@inline(__always)
private func withUTF8<R>(_ string: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    if let result = string.utf8.withContiguousStorageIfAvailable(body) { return result }
    var copy = string
    return copy.withUTF8(body)
}

@inline(__always)
private func equalBytes(_ value: UnsafeBufferPointer<UInt8>, _ expected: [UInt8]) -> Bool {
    guard value.count == expected.count else { return false }
    return expected.withUnsafeBufferPointer { matchesAt(value, 0, $0) }
}

@inline(__always)
private func hasPrefixBytes(_ value: UnsafeBufferPointer<UInt8>, _ prefix: [UInt8]) -> Bool {
    guard value.count >= prefix.count else { return false }
    return prefix.withUnsafeBufferPointer { matchesAt(value, 0, $0) }
}

@inline(__always)
private func hasSuffixBytes(_ value: UnsafeBufferPointer<UInt8>, _ suffix: [UInt8]) -> Bool {
    guard value.count >= suffix.count else { return false }
    return suffix.withUnsafeBufferPointer { matchesAt(value, value.count - suffix.count, $0) }
}

private func containsBytes(_ value: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
    guard needle.count <= value.count else { return false }
    return needle.withUnsafeBufferPointer { needle in
        guard let first = needle.first else { return true }
        var start = 0
        let last = value.count - needle.count
        while start <= last {
            if value[start] == first, matchesAt(value, start, needle) { return true }
            start += 1
        }
        return false
    }
}

/// True when `value[start...]` begins with `pattern` (the caller checks the lengths).
@inline(__always)
private func matchesAt(_ value: UnsafeBufferPointer<UInt8>, _ start: Int, _ pattern: UnsafeBufferPointer<UInt8>) -> Bool
{
    var index = 0
    while index < pattern.count {
        if value[start + index] != pattern[index] { return false }
        index += 1
    }
    return true
}

/// -1, 0 or 1 as `lhs` sorts before, equal to or after `rhs`, byte by byte.
private func compareBytes(_ lhs: UnsafeBufferPointer<UInt8>, _ rhs: UnsafeBufferPointer<UInt8>) -> Int {
    let common = min(lhs.count, rhs.count)
    var index = 0
    while index < common {
        if lhs[index] != rhs[index] { return lhs[index] < rhs[index] ? -1 : 1 }
        index += 1
    }
    return lhs.count == rhs.count ? 0 : (lhs.count < rhs.count ? -1 : 1)
}
