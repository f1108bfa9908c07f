import CalicoAPI

/// Narrows the selectors worth evaluating against a label map.
///
/// Most selectors require one label to have a given value (`app == "web" && ...`, or the namespace that Calico
/// AND-s into every NetworkPolicy selector). Such a selector is filed under that key and value and is only
/// evaluated for label maps that have it; the others are evaluated for every label map. The filter only
/// narrows: candidates must still be evaluated.
struct SelectorPrefilter<ID: Hashable & Sendable>: Sendable {
    private var byLabel: [String: [String: Set<ID>]] = [:]
    private var unfiltered: Set<ID> = []

    mutating func insert(_ id: ID, _ selector: Selector) {
        guard let requirement = Self.requirement(selector.expression) else {
            unfiltered.insert(id)
            return
        }
        for value in requirement.values { byLabel[requirement.key, default: [:]][value, default: []].insert(id) }
    }

    mutating func remove(_ id: ID, _ selector: Selector) {
        guard let requirement = Self.requirement(selector.expression) else {
            unfiltered.remove(id)
            return
        }
        for value in requirement.values {
            byLabel[requirement.key]?[value]?.remove(id)
            if byLabel[requirement.key]?[value]?.isEmpty == true { byLabel[requirement.key]?[value] = nil }
            if byLabel[requirement.key]?.isEmpty == true { byLabel[requirement.key] = nil }
        }
    }

    /// Calls `body` with every selector that may match `labels` (each once).
    func forEachCandidate(_ labels: Labels, _ body: (ID) -> Void) {
        for id in unfiltered { body(id) }
        for (key, values) in byLabel {
            guard let value = labels[key], let ids = values[value] else { continue }
            for id in ids { body(id) }
        }
    }

    /// A label the expression cannot match without: `key == value`, or `key in {values}`, directly or as an
    /// operand of `&&` (the first one found).
    static func requirement(_ expression: SelectorExpression) -> (key: String, values: [String])? {
        switch expression {
        case .equal(let key, let value): return (key, [value])
        case .in(let key, let values): return (key, values)
        case .and(let operands):
            for operand in operands {
                if let found = requirement(operand) { return found }
            }
            return nil
        default: return nil
        }
    }
}
