/// The version tabbyd and tabbyctl report.
public enum TabbyVersion {
    public static let current = "0.1.0"
}
