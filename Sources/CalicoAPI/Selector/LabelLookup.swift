/// A label map: a workload's or host's labels, as the selector reads them.
public typealias Labels = [String: String]

/// Where a selector looks up labels. `[String: String]` conforms; conform a view over several maps (an
/// endpoint's labels over its profiles' labels, as Felix merges them) to avoid building a merged dictionary.
public protocol LabelLookup {
    /// The value of the label, or nil when it is absent.
    func labelValue(forKey key: String) -> String?
}

extension Dictionary: LabelLookup where Key == String, Value == String {
    @inlinable
    public func labelValue(forKey key: String) -> String? { self[key] }
}
