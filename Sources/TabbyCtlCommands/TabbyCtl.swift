import ArgumentParser

/// `tabbyctl`: the operator's command line for a Tabby datastore.
public struct TabbyCtl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tabbyctl",
        abstract: "Manage Calico resources in a Tabby datastore.")

    public init() {}
}
