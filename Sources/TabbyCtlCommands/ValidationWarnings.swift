import CalicoAPI

/// Prints what validation accepted but wants the operator to know, in the error lines' format with a
/// `warning:` in front of the reason.
///
/// `default.yaml: document 1 (line 6): FelixConfiguration "default": spec.bpfLogLevel: warning: not implemented by Tabby; accepted and ignored`
enum ValidationWarnings {
    static func print(_ warnings: [ResourceError]) {
        for warning in warnings { Console.error(line(warning)) }
    }

    static func line(_ warning: ResourceError) -> String {
        var marked = warning
        marked.reason = "warning: " + warning.reason
        return marked.description
    }
}
