/// Tabby's release number: the one source of truth for tabbyd (through the Agent module's `TabbyVersion`) and
/// tabbyctl, which must not link the agent's runtime to learn it.
public enum Release {
    public static let version = "0.1.0"
}
