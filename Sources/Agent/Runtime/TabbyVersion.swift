import TabbyRelease

/// The version tabbyd and tabbyctl report (the number is kept in the TabbyRelease module, which tabbyctl shares).
public enum TabbyVersion {
    public static let current = Release.version
}
