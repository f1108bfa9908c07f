import Datastore
import Etcd

/// Which datastore a worker (or the benchmark) talks to: the file datastore in a directory, or etcd v3 with
/// the options tabbyd and calicoctl use (`--datastore-type etcdv3 --etcd-endpoints URL[,URL...]`).
struct DatastoreOptions {
    var connection: DatastoreConnection
    /// The arguments that are not datastore options, in order.
    var positional: [String]

    /// Reads `--datastore-type file|etcdv3` and `--etcd-endpoints`; without `--datastore-type etcdv3` the
    /// first positional argument is the file datastore's directory.
    init(parsing arguments: [String]) throws(UsageError) {
        var type = "file"
        var endpoints: [String] = []
        var rest: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--datastore-type", "--etcd-endpoints":
                guard index + 1 < arguments.count else { throw UsageError("\(argument) needs a value") }
                let value = arguments[index + 1]
                if argument == "--datastore-type" {
                    type = value
                } else {
                    endpoints = value.split(separator: ",").map { String($0) }
                }
                index += 2
            default:
                rest.append(argument)
                index += 1
            }
        }
        switch type {
        case "file":
            guard let directory = rest.first else { throw UsageError("the file datastore needs a directory") }
            connection = .file(directory: directory)
            positional = Array(rest.dropFirst())
        case "etcdv3":
            guard !endpoints.isEmpty else { throw UsageError("--datastore-type etcdv3 needs --etcd-endpoints URL") }
            connection = .etcdV3(EtcdSettings(endpoints: endpoints))
            positional = rest
        default:
            throw UsageError("--datastore-type \(type): expected file or etcdv3")
        }
    }

    /// The worker arguments that select `connection` again.
    static func arguments(for connection: DatastoreConnection) -> [String] {
        switch connection {
        case .file(let directory): [directory]
        case .etcdV3(let settings):
            ["--datastore-type", "etcdv3", "--etcd-endpoints", settings.endpoints.joined(separator: ",")]
        }
    }
}

struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
