import NetworkAddress

/// A JSON value with the path it was found at (`ipam.ipv4_pools[1]`), so that every error names the field and
/// says why: a value of the wrong JSON type is a decoding failure (code 6); a missing or unacceptable value is
/// an error of `invalidCode` (code 7, invalid network config, for the config; code 6 for results).
public struct JSONField: Sendable {
    public var value: JSONValue
    public var path: String
    /// What the document is, for `msg`: "network config", "prevResult".
    public var subject: String
    public var invalidCode: CNIError.Code

    public init(_ value: JSONValue, path: String, subject: String? = nil, invalidCode: CNIError.Code = .decodingFailure)
    {
        self.value = value
        self.path = path
        self.subject = subject ?? path
        self.invalidCode = invalidCode
    }

    func child(_ value: JSONValue, path: String) -> JSONField {
        JSONField(value, path: path, subject: subject, invalidCode: invalidCode)
    }

    // MARK: Errors

    /// The value has the wrong JSON type.
    public func mismatch(expected: String) -> CNIError {
        CNIError(
            .decodingFailure, "cannot decode the \(subject)",
            details: "\(place): expected \(expected), got \(value.typeName)")
    }

    /// The value has the right type but cannot be used.
    public func invalid(_ reason: String, code: CNIError.Code? = nil) -> CNIError {
        CNIError(code ?? invalidCode, "invalid \(subject)", details: "\(place): \(reason)")
    }

    /// `field ipam.type`, or `the network config` for the document itself.
    var place: String { path.isEmpty ? "the \(subject)" : "field \(path)" }

    // MARK: Typed access

    public func object() throws(CNIError) -> JSONObjectField {
        guard case .object(let members) = value else { throw mismatch(expected: "an object") }
        return JSONObjectField(field: self, members: members)
    }

    public func array() throws(CNIError) -> [JSONField] {
        guard case .array(let items) = value else { throw mismatch(expected: "a list") }
        return items.enumerated().map { child($1, path: "\(path)[\($0)]") }
    }

    public func string() throws(CNIError) -> String {
        guard case .string(let text) = value else { throw mismatch(expected: "a string") }
        return text
    }

    public func strings() throws(CNIError) -> [String] {
        try array().map { (item) throws(CNIError) in try item.string() }
    }

    public func bool() throws(CNIError) -> Bool {
        guard case .bool(let flag) = value else { throw mismatch(expected: "a boolean") }
        return flag
    }

    /// A whole number that fits an `Int`.
    public func integer() throws(CNIError) -> Int {
        guard case .number(let number) = value else { throw mismatch(expected: "a whole number") }
        guard number == number.rounded(), abs(number) <= 9_007_199_254_740_992 else {
            throw invalid("\(number) is not a whole number")
        }
        return Int(number)
    }

    public func address() throws(CNIError) -> IPAddress {
        let text = try string()
        guard let address = IPAddress(text) else { throw invalid("\"\(text)\" is not an IPv4 or IPv6 address") }
        return address
    }

    public func cidr() throws(CNIError) -> CIDR {
        let text = try string()
        do {
            return try CIDR(parsing: text)
        } catch {
            throw invalid("\"\(text)\" is not an address with a prefix length: \(error.reason)")
        }
    }
}

/// A JSON object with its path.
public struct JSONObjectField: Sendable {
    public var field: JSONField
    public var members: [String: JSONValue]

    public func field(_ key: String) -> JSONField {
        field.child(members[key] ?? .null, path: path(key))
    }

    /// The member, nil when absent or `null`.
    public func optional(_ key: String) throws(CNIError) -> JSONField? {
        guard let value = members[key], value != .null else { return nil }
        return field.child(value, path: path(key))
    }

    public func required(_ key: String) throws(CNIError) -> JSONField {
        guard let member = try optional(key) else {
            throw CNIError(field.invalidCode, "invalid \(field.subject)", details: "field \(path(key)) is missing")
        }
        return member
    }

    private func path(_ key: String) -> String { field.path.isEmpty ? key : "\(field.path).\(key)" }
}
