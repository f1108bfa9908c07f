/// The JSON bodies of the gateway's requests (etcd's protobuf messages in the gateway's JSON mapping: bytes in
/// base64, int64s as strings, enums by name).
enum GatewayRequests {
    static func range(_ request: EtcdRangeRequest) -> String {
        var writer = GatewayJSONWriter()
        writer.member("key", bytes: request.key)
        if let rangeEnd = request.rangeEnd { writer.member("range_end", bytes: rangeEnd) }
        if request.revision != 0 { writer.member("revision", int64: request.revision) }
        if request.limit != 0 { writer.member("limit", int64: request.limit) }
        if request.keysOnly { writer.member("keys_only", bool: true) }
        if request.countOnly { writer.member("count_only", bool: true) }
        return writer.finished
    }

    static func txn(_ request: EtcdTxnRequest) -> String {
        var writer = GatewayJSONWriter()
        writer.member("compare", raw: "[" + request.compare.map(compare).joined(separator: ",") + "]")
        writer.member("success", raw: "[" + request.success.map(operation).joined(separator: ",") + "]")
        writer.member("failure", raw: "[" + request.failure.map(operation).joined(separator: ",") + "]")
        return writer.finished
    }

    static func compare(_ compare: EtcdCompare) -> String {
        var writer = GatewayJSONWriter()
        writer.member("key", bytes: compare.key)
        if let rangeEnd = compare.rangeEnd { writer.member("range_end", bytes: rangeEnd) }
        writer.member("result", string: compare.result.rawValue)
        switch compare.target {
        case .version(let version):
            writer.member("target", string: "VERSION")
            writer.member("version", int64: version)
        case .createRevision(let revision):
            writer.member("target", string: "CREATE")
            writer.member("create_revision", int64: revision)
        case .modRevision(let revision):
            writer.member("target", string: "MOD")
            writer.member("mod_revision", int64: revision)
        case .value(let value):
            writer.member("target", string: "VALUE")
            writer.member("value", bytes: value)
        }
        return writer.finished
    }

    static func operation(_ operation: EtcdOperation) -> String {
        var writer = GatewayJSONWriter()
        switch operation {
        case .range(let request):
            writer.member("request_range", raw: range(request))
        case .put(let key, let value, let prevKV):
            var put = GatewayJSONWriter()
            put.member("key", bytes: key)
            put.member("value", bytes: value)
            if prevKV { put.member("prev_kv", bool: true) }
            writer.member("request_put", raw: put.finished)
        case .delete(let key, let rangeEnd, let prevKV):
            var delete = GatewayJSONWriter()
            delete.member("key", bytes: key)
            if let rangeEnd { delete.member("range_end", bytes: rangeEnd) }
            if prevKV { delete.member("prev_kv", bool: true) }
            writer.member("request_delete_range", raw: delete.finished)
        }
        return writer.finished
    }

    static func watchCreate(_ request: EtcdWatchRequest) -> String {
        var create = GatewayJSONWriter()
        create.member("key", bytes: request.key)
        if let rangeEnd = request.rangeEnd { create.member("range_end", bytes: rangeEnd) }
        if request.startRevision != 0 { create.member("start_revision", int64: request.startRevision) }
        if request.progressNotify { create.member("progress_notify", bool: true) }
        if request.prevKV { create.member("prev_kv", bool: true) }
        var writer = GatewayJSONWriter()
        writer.member("create_request", raw: create.finished)
        return writer.finished
    }

    static func authenticate(name: String, password: String) -> String {
        var writer = GatewayJSONWriter()
        writer.member("name", string: name)
        writer.member("password", string: password)
        return writer.finished
    }

    static func compaction(revision: Int64) -> String {
        var writer = GatewayJSONWriter()
        writer.member("revision", int64: revision)
        return writer.finished
    }
}
