import CalicoAPI
import Foundation

/// How Calico's v1 -> v3 upgrade renames resources: v3 names are lower-case DNS-style names, so a v1 name is
/// normalised, and when that changed it, a qualifier from the original name keeps distinct names distinct.
enum V1Names {
    /// Lower case; `/` becomes `.`; every run of characters outside `[-.a-z0-9]` becomes `-`; a run of dots and
    /// dashes holding at least one dot becomes one `.`; leading and trailing dots and dashes go.
    static func normalized(_ name: String) -> String {
        var out: [Character] = []
        var pendingSeparator: [Character] = []
        var inInvalidRun = false
        func flushSeparator() {
            guard !pendingSeparator.isEmpty else { return }
            out += pendingSeparator.contains(".") ? ["."] : pendingSeparator
            pendingSeparator = []
        }
        for character in name.lowercased().map({ $0 == "/" ? "." : $0 }) {
            let isNameCharacter = character.isASCII && (character.isLetter || character.isNumber)
            if character == "." || character == "-" {
                pendingSeparator.append(character)
                inInvalidRun = false
            } else if isNameCharacter {
                flushSeparator()
                out.append(character)
                inInvalidRun = false
            } else if !inInvalidRun {
                pendingSeparator.append("-")
                inInvalidRun = true
            }
        }
        // Trailing dots and dashes are dropped; leading ones too.
        while let first = out.first, first == "." || first == "-" { out.removeFirst() }
        return String(out)
    }

    /// The v3 name of a node (normalised, never qualified: node names must stay as they are in other resources).
    static func node(_ name: String) -> String { normalized(name) }

    /// A normalised name, qualified when normalising changed it.
    static func converted(_ name: String) -> String { qualified(name, normalized(name)) }

    /// A normalised name without dots, qualified when that changed it (policy and tier names).
    static func convertedWithoutDots(_ name: String) -> String {
        qualified(name, normalized(name).replacingDots(with: "-"))
    }

    /// v1's Kubernetes namespace profiles `k8s_ns.NAME` are `kns.NAME` in v3.
    static func profile(_ name: String) -> String {
        if name.hasPrefix("k8s_ns.") { return converted("kns." + name.dropFirst("k8s_ns.".count)) }
        return converted(name)
    }

    /// An IP pool's name from its CIDR: `10.1.0.0/16` -> `10-1-0-0-16`.
    static func pool(_ cidr: String) -> String {
        String(cidr.map { $0 == "." || $0 == ":" || $0 == "/" ? "-" : $0 })
    }

    /// The name of a WorkloadEndpoint from its identifiers: the segments for its orchestrator, each with its dashes
    /// doubled, joined by dashes (`node-k8s-pod-endpoint`, `node-cni-container-endpoint`, `node-orch-workload-eth0`).
    static func workloadEndpoint(
        node: String, orchestrator: String, workload: String?, pod: String?,
        containerID: String?, endpoint: String
    ) throws(V1ConversionError) -> String {
        let middle: (String, String?)
        switch orchestrator {
        case "k8s": middle = ("pod", pod)
        case "cni": middle = ("containerID", containerID)
        case "libnetwork": middle = ("orchestrator", orchestrator)
        default: middle = ("workload", workload)
        }
        let segments = [
            ("node", Optional(node)), ("orchestrator", Optional(orchestrator)), middle,
            ("endpoint", Optional(endpoint)),
        ]
        var parts: [String] = []
        for (field, value) in segments {
            guard let value, !value.isEmpty else {
                throw V1ConversionError("metadata", "the \(field) needed for the v3 name is missing")
            }
            guard !value.hasPrefix("-"), !value.hasSuffix("-") else {
                throw V1ConversionError("metadata", "the \(field) \"\(value)\" must not begin or end with '-'")
            }
            parts.append(value.replacingOccurrences(of: "-", with: "--"))
        }
        return parts.joined(separator: "-")
    }

    private static func qualified(_ original: String, _ final: String) -> String {
        if original == final { return original }
        return final + "-" + SHA1.hex(original).prefix(8).lowercased()
    }
}

extension String {
    fileprivate func replacingDots(with replacement: Character) -> String {
        String(map { $0 == "." ? replacement : $0 })
    }
}

/// One thing a v1 document has that cannot become v3: the field and why.
struct V1ConversionError: Error, CustomStringConvertible {
    var field: String
    var reason: String

    init(_ field: String, _ reason: String) {
        self.field = field
        self.reason = reason
    }

    var description: String { field.isEmpty ? reason : "\(field): \(reason)" }
}
