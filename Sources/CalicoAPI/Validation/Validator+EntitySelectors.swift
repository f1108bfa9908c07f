extension Validator {
    /// Checks a rule side's `namespaceSelector`: a selector in which `global()` may appear only on its own
    /// (`global()` means "endpoints in no namespace"; Calico refuses it combined with other terms).
    @discardableResult
    func entityNamespaceSelector(_ field: String, _ text: String?) -> Selector? {
        guard let selector = selector(field, text, allowGlobal: true) else { return nil }
        if selector.expression.usesGlobal && selector.expression != .global {
            error(field, "global() cannot be combined with other selector terms; use it on its own")
        }
        return selector
    }
}
