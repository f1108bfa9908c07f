import CalicoAPI

/// One change to the resource cache: which resource, and how. The calculations subscribe by kind and look the
/// current record up in the cache; `previous` is what the cache held before, for handlers that must undo what
/// the old content contributed (an endpoint that moved to another node, say).
public struct ResourceDelta: Sendable, Equatable, CustomStringConvertible {
    public enum Change: String, Sendable, Equatable {
        case added, updated, removed
    }

    public let key: ResourceKey
    public let change: Change
    /// The content before the change; nil for `.added`.
    public let previous: AnyResource?
    /// The content after the change; nil for `.removed`.
    public let current: AnyResource?

    public init(key: ResourceKey, change: Change, previous: AnyResource?, current: AnyResource?) {
        self.key = key
        self.change = change
        self.previous = previous
        self.current = current
    }

    public var kind: ResourceKind { key.kind }

    /// The old and the new content as their own type (nil where absent or of another kind).
    public func contents<R: CalicoResource>(as type: R.Type) -> (previous: R?, current: R?) {
        (previous?.as(type), current?.as(type))
    }

    public var description: String { "\(change) \(key)" }
}
