import NetworkAddress

/// Collects validation problems with their field paths: errors, which make a resource invalid, and warnings,
/// which do not (a Calico setting Tabby accepts but does not act on).
///
/// Not Sendable: one validation uses one validator, on one thread.
public final class Validator {
    public private(set) var errors: [FieldError] = []
    public private(set) var warnings: [FieldError] = []
    private var prefix: [String] = []

    public init() {}

    /// The full path of `field` at the current nesting (`spec.ingress[0].action`).
    public func path(_ field: String) -> String {
        var all = prefix
        if !field.isEmpty { all.append(field) }
        var result = ""
        for part in all {
            if part.hasPrefix("[") || result.isEmpty {
                result += part
            } else {
                result += "." + part
            }
        }
        return result
    }

    /// Records that `field` is invalid for `reason`.
    public func error(_ field: String, _ reason: String) {
        errors.append(FieldError(path(field), reason))
    }

    /// Records that `field` is accepted but deserves the operator's attention, for `reason`.
    public func warning(_ field: String, _ reason: String) {
        warnings.append(FieldError(path(field), reason))
    }

    /// What the validation found, errors and warnings.
    public var report: ValidationReport { ValidationReport(errors: errors, warnings: warnings) }

    /// Runs `body` with field paths nested under `field` (use `"[3]"` for a list item).
    public func within(_ field: String, _ body: () -> Void) {
        prefix.append(field)
        body()
        prefix.removeLast()
    }

    /// Runs `body` for each item of a list, nested under `field[i]`.
    public func each<T>(_ field: String, _ items: [T]?, _ body: (T) -> Void) {
        guard let items else { return }
        within(field) {
            for (index, item) in items.enumerated() {
                within("[\(index)]") { body(item) }
            }
        }
    }

    /// Checks that a selector parses (and, unless allowed, is not `global()`), recording the problem if not.
    @discardableResult
    public func selector(_ field: String, _ text: String?, allowGlobal: Bool = false) -> Selector? {
        guard let text else { return nil }
        do {
            let selector = try Selector(parsing: text)
            if !allowGlobal, selector.expression.usesGlobal {
                error(field, "global() may only be used in a namespaceSelector")
            }
            return selector
        } catch {
            self.error(field, "invalid selector: \(error)")
            return nil
        }
    }

    /// Checks that `text` is a CIDR (host bits allowed unless `masked` is required).
    @discardableResult
    public func cidr(_ field: String, _ text: String?, masked: Bool = false) -> CIDR? {
        guard let text else { return nil }
        do {
            let cidr = try CIDR(parsing: text)
            if masked { networkAddress(field, cidr) }
            return cidr
        } catch {
            self.error(field, "invalid CIDR \"\(text)\": \(error.reason)")
            return nil
        }
    }

    /// Checks that a pool or block CIDR has no host bits set.
    public func networkAddress(_ field: String, _ cidr: CIDR?) {
        guard let cidr, !cidr.isMasked else { return }
        error(field, "\(cidr) is not a network address (host bits are set; did you mean \(cidr.masked)?)")
    }

    /// Checks that an address (already parsed when the resource was decoded) is of the family a field asks for.
    public func family(_ field: String, _ address: IPAddress?, _ family: IPFamily) {
        guard let address, address.family != family else { return }
        error(field, "\(address) is not an IPv\(family.rawValue) address")
    }
}

extension SelectorExpression {
    /// Whether `global()` appears anywhere in the expression.
    var usesGlobal: Bool {
        switch self {
        case .global: true
        case .not(let operand): operand.usesGlobal
        case .and(let operands), .or(let operands): operands.contains { $0.usesGlobal }
        default: false
        }
    }
}

/// The outcome of validating one resource: a resource is valid when `errors` is empty, whatever its warnings.
public struct ValidationReport: Sendable, Equatable {
    public var errors: [FieldError]
    public var warnings: [FieldError]

    public init(errors: [FieldError] = [], warnings: [FieldError] = []) {
        self.errors = errors
        self.warnings = warnings
    }
}
