/// The syntax tree of a Calico selector.
///
/// It is public so that later stages can rewrite selectors the way Calico's syncer does (prefixing namespace
/// labels with `pcns.`, AND-ing `projectcalico.org/namespace == "<ns>"`, ...). Nesting is kept as written:
/// `(a && b) && c` is `.and([.and([a, b]), c])`, because Calico's canonical form (and so its selector IDs)
/// keeps it too. `Selector` stores the `normalized` form.
public indirect enum SelectorExpression: Hashable, Sendable {
    /// `all()`: matches everything.
    case all
    /// `global()`: matches everything; in a namespaceSelector it stands for non-namespaced endpoints.
    case global
    /// `has(key)`: the label is present, with any value.
    case has(key: String)
    /// `key == "value"`: false when the label is absent.
    case equal(key: String, value: String)
    /// `key != "value"`: true when the label is absent.
    case notEqual(key: String, value: String)
    /// `key in {"a", "b"}`: false when the label is absent.
    case `in`(key: String, values: [String])
    /// `key not in {"a", "b"}`: true when the label is absent.
    case notIn(key: String, values: [String])
    /// `key contains "value"`: false when the label is absent.
    case contains(key: String, value: String)
    /// `key starts with "value"`: false when the label is absent.
    case startsWith(key: String, value: String)
    /// `key ends with "value"`: false when the label is absent.
    case endsWith(key: String, value: String)
    /// `!expression`.
    case not(SelectorExpression)
    /// `a && b && ...`: true when every operand is (an empty list is true).
    case and([SelectorExpression])
    /// `a || b || ...`: true when any operand is (an empty list is false).
    case or([SelectorExpression])

    /// The form the parser produces for the same meaning, so that the canonical string parses back to an
    /// equal expression: double negations removed, one-operand `&&`/`||` unwrapped, empty `&&` as `all()`,
    /// empty `||` as `!all()`, and set values sorted by their UTF-8 bytes without duplicates (as Calico does).
    public var normalized: SelectorExpression {
        switch self {
        case .all, .global, .has, .equal, .notEqual, .contains, .startsWith, .endsWith:
            return self
        case .in(let key, let values):
            return .in(key: key, values: Self.canonicalSet(values))
        case .notIn(let key, let values):
            return .notIn(key: key, values: Self.canonicalSet(values))
        case .not(let operand):
            let operand = operand.normalized
            if case .not(let inner) = operand { return inner }
            return .not(operand)
        case .and(let operands):
            switch operands.count {
            case 0: return .all
            case 1: return operands[0].normalized
            default: return .and(operands.map(\.normalized))
            }
        case .or(let operands):
            switch operands.count {
            case 0: return .not(.all)
            case 1: return operands[0].normalized
            default: return .or(operands.map(\.normalized))
            }
        }
    }

    /// Every label key the expression reads.
    public var labelKeys: Set<String> {
        var keys = Set<String>()
        collectLabelKeys(into: &keys)
        return keys
    }

    private func collectLabelKeys(into keys: inout Set<String>) {
        switch self {
        case .all, .global:
            break
        case .has(let key), .equal(let key, _), .notEqual(let key, _), .in(let key, _), .notIn(let key, _),
            .contains(let key, _), .startsWith(let key, _), .endsWith(let key, _):
            keys.insert(key)
        case .not(let operand):
            operand.collectLabelKeys(into: &keys)
        case .and(let operands), .or(let operands):
            for operand in operands { operand.collectLabelKeys(into: &keys) }
        }
    }

    /// The expression with every label key replaced by `transform(key)`, e.g. `{ "pcns." + $0 }` as Calico
    /// does for namespace selectors.
    public func mappingLabelKeys(_ transform: (String) -> String) -> SelectorExpression {
        switch self {
        case .all, .global: self
        case .has(let key): .has(key: transform(key))
        case .equal(let key, let value): .equal(key: transform(key), value: value)
        case .notEqual(let key, let value): .notEqual(key: transform(key), value: value)
        case .in(let key, let values): .in(key: transform(key), values: values)
        case .notIn(let key, let values): .notIn(key: transform(key), values: values)
        case .contains(let key, let value): .contains(key: transform(key), value: value)
        case .startsWith(let key, let value): .startsWith(key: transform(key), value: value)
        case .endsWith(let key, let value): .endsWith(key: transform(key), value: value)
        case .not(let operand): .not(operand.mappingLabelKeys(transform))
        case .and(let operands): .and(operands.map { $0.mappingLabelKeys(transform) })
        case .or(let operands): .or(operands.map { $0.mappingLabelKeys(transform) })
        }
    }

    /// Rewrites the tree bottom-up: each node's operands are rewritten first, then `transform` may replace
    /// the node (return nil to keep it). Calico's `all()` -> `has(projectcalico.org/namespace)` is one such
    /// rewrite.
    public func rewritten(_ transform: (SelectorExpression) -> SelectorExpression?) -> SelectorExpression {
        let rebuilt: SelectorExpression =
            switch self {
            case .not(let operand): .not(operand.rewritten(transform))
            case .and(let operands): .and(operands.map { $0.rewritten(transform) })
            case .or(let operands): .or(operands.map { $0.rewritten(transform) })
            default: self
            }
        return transform(rebuilt) ?? rebuilt
    }

    /// Set values as Calico keeps them: sorted by UTF-8 bytes, duplicates removed.
    static func canonicalSet(_ values: [String]) -> [String] {
        let sorted = values.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var result: [String] = []
        result.reserveCapacity(sorted.count)
        for value in sorted where result.last.map({ !$0.utf8.elementsEqual(value.utf8) }) ?? true {
            result.append(value)
        }
        return result
    }
}
