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
            The datastore directory comes from --datastore, else $TABBY_DATASTORE, else \
            \(DatastoreOptions.defaultDirectory).
            """,
        subcommands: [
            ApplyCommand.self, CreateCommand.self, ReplaceCommand.self, DeleteCommand.self, GetCommand.self,
            ValidateCommand.self, SelectorCommand.self, IPAMCommand.self, NodeCommand.self, PolicyCommand.self,
            PatchCommand.self, LabelCommand.self, ConvertCommand.self, VersionCommand.self,
        ])

    @OptionGroup var options: DatastoreOptions

    public init() {}
}

/// Where the datastore is: `--datastore DIR`, else `$TABBY_DATASTORE`, else the default directory.
struct DatastoreOptions: ParsableArguments {
    static let defaultDirectory = "/var/lib/tabby/datastore"
    static let environmentVariable = "TABBY_DATASTORE"

    @Option(name: .long, help: "The datastore directory (default: $TABBY_DATASTORE, else \(defaultDirectory)).")
    var datastore: String?

    var directory: String {
        if let datastore { return datastore }
        if let value = getenv(Self.environmentVariable), let text = String(validatingCString: value), !text.isEmpty {
            return text
        }
        return Self.defaultDirectory
    }

    func open() throws(CtlFailure) -> FileDatastore {
        do {
            return try FileDatastore(directory: directory)
        } catch {
            throw CtlFailure.failed("cannot open the datastore at \(directory): \(error)")
        }
    }
}
