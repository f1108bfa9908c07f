import ArgumentParser
import CalicoAPI

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check the resources of a file without writing anything; exits 2 and lists every problem if any.")

    @Option(name: .shortAndLong, help: "A YAML or JSON file, a directory of them, or - for standard input.")
    var filename: String

    func run() async throws {
        let resources = try ManifestInput.read(filename)
        Console.out(Summary.line("validated", resources))
    }
}

struct SelectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selector", abstract: "Work with Calico selectors.", subcommands: [SelectorMatchCommand.self])
}

struct SelectorMatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Print whether a selector matches a set of labels, or an endpoint (true or false).",
        discussion: """
            A selector that does not parse is reported with the column of the problem, and exits 2. With \
            --endpoint the selector is matched against the labels policy sees on that endpoint: its own, \
            projectcalico.org/namespace and the labels its profiles apply (pcns.* from its namespace, pcsa.* from \
            its service account).
            """)

    @OptionGroup var options: DatastoreOptions
    @Option(help: "The selector, e.g. \"role == 'db' && !has(test)\".")
    var selector: String
    @Option(help: "Labels as k=v pairs separated by commas, e.g. app=web,tier=frontend (may be empty).")
    var labels: String?
    @Option(help: "Match an endpoint of the datastore: NAMESPACE/NAME of a WorkloadEndpoint, or NAME of a HostEndpoint")
    var endpoint: String?

    func validate() throws {
        if labels != nil && endpoint != nil { throw ValidationError("use either --labels or --endpoint, not both") }
    }

    func run() async throws {
        let parsed: Selector
        do {
            parsed = try Selector(parsing: selector)
        } catch {
            throw CtlFailure.badInput(error.description)
        }
        let subject: Labels
        if let endpoint {
            let state = try await PolicyStateLoader.load(from: try options.open())
            let key = try EndpointArgument.resolve(endpoint, in: state)
            subject = state.effectiveLabels(of: key) ?? [:]
        } else {
            subject = try LabelArgument.parse(labels ?? "")
        }
        Console.out(parsed.matches(subject) ? "true" : "false")
    }
}

/// `k=v,k2=v2` on the command line.
enum LabelArgument {
    static func parse(_ text: String) throws(CtlFailure) -> Labels {
        var labels: Labels = [:]
        for pair in text.split(separator: ",", omittingEmptySubsequences: true) {
            guard let equals = pair.firstIndex(of: "=") else {
                throw CtlFailure.badInput("label \"\(pair)\" is not of the form key=value")
            }
            let key = String(pair[..<equals]).trimmingSpaces
            let value = String(pair[pair.index(after: equals)...]).trimmingSpaces
            if let reason = LabelSyntax.validateKey(key) {
                throw CtlFailure.badInput("invalid label key \"\(key)\": \(reason)")
            }
            if labels[key] != nil { throw CtlFailure.badInput("label \"\(key)\" is given twice") }
            labels[key] = value
        }
        return labels
    }
}

extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}
