import CalicoAPI
import Foundation

/// A manifest as plain JSON data (null, booleans, numbers, strings, lists, ordered mappings): what `patch` merges
/// and `convert` builds, written back as JSON text for the resource decoder to read, validate and default.
indirect enum ManifestValue: Equatable {
    case null
    case bool(Bool)
    /// The number as written (`26`, `1.5`, `-3e2`), so that integers stay integers.
    case number(String)
    case string(String)
    case list([ManifestValue])
    case mapping([(String, ManifestValue)])

    static func == (lhs: ManifestValue, rhs: ManifestValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.list(let a), .list(let b)): return a == b
        case (.mapping(let a), .mapping(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The node as JSON data. An unquoted scalar is null, a boolean or a number when it reads as one (YAML 1.2's
    /// core schema), else a string; a quoted scalar is always a string.
    init(_ node: ManifestNode) {
        switch node.value {
        case .scalar(let text, let quoted):
            if quoted {
                self = .string(text)
            } else if node.isNull {
                self = .null
            } else if ["true", "True", "TRUE"].contains(text) {
                self = .bool(true)
            } else if ["false", "False", "FALSE"].contains(text) {
                self = .bool(false)
            } else if Self.isJSONNumber(text) {
                self = .number(text)
            } else {
                self = .string(text)
            }
        case .sequence(let items):
            self = .list(items.map(ManifestValue.init))
        case .mapping(let entries):
            self = .mapping(entries.map { ($0.key, ManifestValue($0.value)) })
        }
    }

    /// Parses one YAML or JSON document.
    static func parse(_ text: String, source: String) throws(CtlFailure) -> ManifestValue {
        let documents: [ManifestDocument]
        do {
            documents = try ManifestParser.parse(text, source: source)
        } catch {
            throw CtlFailure.badInput(error.description)
        }
        guard documents.count <= 1 else {
            throw CtlFailure.badInput("\(source): expected one document, found \(documents.count)")
        }
        return documents.first.map { ManifestValue($0.root) } ?? .null
    }

    /// The value under `key` of a mapping.
    subscript(key: String) -> ManifestValue? {
        get {
            guard case .mapping(let entries) = self else { return nil }
            return entries.first { $0.0 == key }?.1
        }
        set {
            guard case .mapping(var entries) = self else { return }
            if let index = entries.firstIndex(where: { $0.0 == key }) {
                if let newValue { entries[index].1 = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append((key, newValue))
            }
            self = .mapping(entries)
        }
    }

    var text: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var isMapping: Bool {
        if case .mapping = self { return true }
        return false
    }

    /// Compact JSON.
    var json: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let text): out += text
        case .string(let text): Self.quote(text, into: &out)
        case .list(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .mapping(let entries):
            out += "{"
            for (index, entry) in entries.enumerated() {
                if index > 0 { out += "," }
                Self.quote(entry.0, into: &out)
                out += ":"
                entry.1.write(to: &out)
            }
            out += "}"
        }
    }

    private static func quote(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    static func isJSONNumber(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        func digits() -> Int {
            let count = bytes.prefix { $0 >= 0x30 && $0 <= 0x39 }.count
            bytes = bytes.dropFirst(count)
            return count
        }
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        if bytes.first == UInt8(ascii: "0") {
            bytes = bytes.dropFirst()
        } else if digits() == 0 {
            return false
        }
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            if digits() == 0 { return false }
        }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            if digits() == 0 { return false }
        }
        return bytes.isEmpty
    }
}

extension ManifestValue {
    /// The stored resource as JSON data, exactly as `get -o json` prints it.
    init(resource: AnyResource) {
        self.init(ResourceCodec.node(of: resource))
    }

    /// Decodes this value as one resource, with Calico's defaults and validation; every problem is reported under
    /// `source`.
    func resource(source: String) throws(CtlFailure) -> AnyResource {
        let decoded = ResourceCodec.decode(json, source: source)
        if !decoded.errors.isEmpty {
            throw CtlFailure.badInput(decoded.errors.map(\.description).joined(separator: "\n"))
        }
        guard decoded.resources.count == 1 else {
            throw CtlFailure.badInput("\(source): expected one resource, found \(decoded.resources.count)")
        }
        return decoded.resources[0]
    }
}

extension ManifestValue: Encodable {
    /// As the JSON it is; mappings keep their keys (the encoder may sort them).
    func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .number(let text):
            var container = encoder.singleValueContainer()
            if let integer = Int64(text) {
                try container.encode(integer)
            } else if let double = Double(text) {
                try container.encode(double)
            } else {
                try container.encode(text)
            }
        case .string(let text):
            var container = encoder.singleValueContainer()
            try container.encode(text)
        case .list(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(item) }
        case .mapping(let entries):
            var container = encoder.container(keyedBy: MappingKey.self)
            for (key, value) in entries { try container.encode(value, forKey: MappingKey(key)) }
        }
    }

    private struct MappingKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
