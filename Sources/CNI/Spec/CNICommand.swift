/// `CNI_COMMAND`: what the runtime asks for.
public enum CNICommand: String, Sendable, CaseIterable {
    case add = "ADD"
    case delete = "DEL"
    case check = "CHECK"
    case version = "VERSION"
    /// 1.1.0: is the plugin ready to serve ADDs?
    case status = "STATUS"
    /// 1.1.0: release what belongs to attachments the runtime no longer has.
    case garbageCollect = "GC"

    /// The `CNI_*` variables the spec requires for this command (besides `CNI_COMMAND`).
    public var requiredVariables: [CNIEnvironment.Variable] {
        switch self {
        case .add, .check: [.containerID, .networkNamespace, .interfaceName]
        case .delete: [.containerID, .interfaceName]
        case .version, .status: []
        case .garbageCollect: [.path]
        }
    }

    /// Whether the command is about one attachment (container and interface).
    public var isAttachment: Bool { self == .add || self == .delete || self == .check }
}
