/// Collects validation problems with their field paths.
///
/// Not Sendable: one validation uses one validator, on one thread.
public final class Validator {
    public private(set) var errors: [FieldError] = []
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
            if masked, !cidr.isMasked {
                error(field, "\(text) is not a network address (host bits are set; did you mean \(cidr.masked)?)")
            }
            return cidr
        } catch {
            self.error(field, "invalid CIDR \"\(text)\": \(error.reason)")
            return nil
        }
    }

    /// Checks that `text` is an IP address of the given family (either when nil).
    @discardableResult
    public func address(_ field: String, _ text: String?, family: IPFamily? = nil) -> IPAddress? {
        guard let text else { return nil }
        guard let address = IPAddress(text) else {
            error(field, "invalid IP address \"\(text)\"")
            return nil
        }
        if let family, address.family != family {
            error(field, "\(text) is not an IPv\(family.rawValue) address")
        }
        return address
    }

    /// Checks a MAC address written as six colon-separated hex pairs.
    public func mac(_ field: String, _ text: String?) {
        guard let text else { return }
        if MACAddressSyntax.parse(text) == nil {
            error(field, "invalid MAC address \"\(text)\" (expected six hex pairs like ee:ee:ee:ee:ee:ee)")
        }
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

/// MAC address text: six colon- (or dash-) separated hex pairs.
public enum MACAddressSyntax {
    public static func parse(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let pieces = parts.count == 6 ? parts : text.split(separator: "-", omittingEmptySubsequences: false)
        guard pieces.count == 6 else { return nil }
        var bytes: [UInt8] = []
        for piece in pieces {
            guard piece.count == 2, let byte = UInt8(piece, radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
