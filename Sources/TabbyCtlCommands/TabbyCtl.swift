import ArgumentParser
import CalicoAPI
import Datastore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// `tabbyctl`: the operator's command line for a Tabby datastore, in the manner of calicoctl.
public struct TabbyCtl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tabbyctl",
        abstract: "Manage Calico resources in a Tabby datastore.",
        discussion: """
            Exit codes: 0 success, 1 an operation failed, 2 bad usage or bad input.
            \(DatastoreOptions.precedence)
            """,
        subcommands: [
            ApplyCommand.self, CreateCommand.self, ReplaceCommand.self, DeleteCommand.self, GetCommand.self,
            ValidateCommand.self, SelectorCommand.self, IPAMCommand.self, NodeCommand.self, PolicyCommand.self,
            PatchCommand.self, LabelCommand.self, ConvertCommand.self, DatastoreCommand.self, VersionCommand.self,
        ])

    @OptionGroup var options: DatastoreOptions

    public init() {}
}
