/// The protocol parameters a runtime passes in `CNI_*` environment variables, checked as the spec asks: a
/// variable the command requires that is missing or empty, or a value that breaks the spec's rules, is an error
/// of code 4 naming the variable.
public struct CNIEnvironment: Sendable, Equatable {
    public var command: CNICommand
    /// Empty for VERSION, STATUS and GC.
    public var containerID: String
    /// May be empty on DEL (the namespace is gone), and is for VERSION, STATUS and GC.
    public var networkNamespace: String
    public var interfaceName: String
    public var arguments: CNIArguments
    /// `CNI_PATH` split at `:`, empty entries dropped.
    public var pluginDirectories: [String]
    /// The whole environment, handed unchanged to a delegated plugin.
    public var variables: [String: String]

    public enum Variable: String, Sendable {
        case command = "CNI_COMMAND"
        case containerID = "CNI_CONTAINERID"
        case networkNamespace = "CNI_NETNS"
        case interfaceName = "CNI_IFNAME"
        case arguments = "CNI_ARGS"
        case path = "CNI_PATH"
    }

    public init(_ variables: [String: String]) throws(CNIError) {
        self.variables = variables
        guard let commandText = variables[Variable.command.rawValue], !commandText.isEmpty else {
            throw Self.invalid(.command, "is not set")
        }
        guard let command = CNICommand(rawValue: commandText) else {
            let known = CNICommand.allCases.map(\.rawValue).joined(separator: ", ")
            throw Self.invalid(.command, "\"\(commandText)\" is not a CNI command (\(known))")
        }
        self.command = command
        for variable in command.requiredVariables where (variables[variable.rawValue] ?? "").isEmpty {
            throw Self.invalid(variable, "is required for \(command.rawValue) but is not set")
        }
        containerID = variables[Variable.containerID.rawValue] ?? ""
        networkNamespace = variables[Variable.networkNamespace.rawValue] ?? ""
        interfaceName = variables[Variable.interfaceName.rawValue] ?? ""
        pluginDirectories = (variables[Variable.path.rawValue] ?? "").split(separator: ":").map(String.init)
        if command.isAttachment {
            try Self.checkContainerID(containerID)
            try Self.checkInterfaceName(interfaceName)
        }
        do {
            arguments = try CNIArguments(parsing: variables[Variable.arguments.rawValue] ?? "")
        } catch {
            throw Self.invalid(.arguments, error.reason)
        }
    }

    static func invalid(_ variable: Variable, _ reason: String) -> CNIError {
        CNIError(
            .invalidEnvironment, "invalid environment variable \(variable.rawValue)",
            details: "\(variable.rawValue) \(reason)")
    }

    /// The spec: not empty, starting with a letter or digit, then letters, digits, `_`, `.` or `-`.
    static func checkContainerID(_ id: String) throws(CNIError) {
        guard let first = id.unicodeScalars.first, first.isASCIIAlphanumeric else {
            throw invalid(.containerID, "\"\(id)\" must start with a letter or digit")
        }
        if let bad = id.unicodeScalars.first(where: { !$0.isASCIIAlphanumeric && !"_.-".unicodeScalars.contains($0) }) {
            throw invalid(
                .containerID, "\"\(id)\" has the character \"\(bad)\"; only letters, digits, _ . - are allowed")
        }
    }

    /// Linux's rules for interface names, as the spec gives them: not empty, not `.` or `..`, under 16 bytes,
    /// no `/`, `:` or white space.
    static func checkInterfaceName(_ name: String) throws(CNIError) {
        guard name != ".", name != ".." else { throw invalid(.interfaceName, "\"\(name)\" is not an interface name") }
        guard name.utf8.count < 16 else {
            throw invalid(.interfaceName, "\"\(name)\" is \(name.utf8.count) bytes long; the limit is 15")
        }
        if name.unicodeScalars.contains(where: { $0 == "/" || $0 == ":" || $0.properties.isWhitespace }) {
            throw invalid(.interfaceName, "\"\(name)\" contains \"/\", \":\" or white space")
        }
    }
}
