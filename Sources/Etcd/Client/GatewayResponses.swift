/// Reads the gateway's answers into the `EtcdKV` types. A missing field is its protobuf default (the gateway
/// leaves out zeros, empty strings and false); a field of the wrong type is a `malformedResponse`.
struct GatewayResponses {
    let endpoint: String

    func malformed(_ reason: String) -> EtcdError { .malformedResponse(endpoint: endpoint, reason: reason) }

    func document(_ body: [UInt8]) throws(EtcdError) -> GatewayJSON {
        let json: GatewayJSON
        do {
            json = try GatewayJSON.parse(body)
        } catch {
            throw malformed(error.description)
        }
        guard case .object = json else { throw malformed("expected a JSON object") }
        return json
    }

    func int64(_ json: GatewayJSON, _ field: String) throws(EtcdError) -> Int64 {
        guard let value = json[field] else { return 0 }
        guard let number = value.int64 else { throw malformed("\(field) is not an int64") }
        return number
    }

    func bytes(_ json: GatewayJSON, _ field: String) throws(EtcdError) -> [UInt8] {
        guard let value = json[field] else { return [] }
        guard let bytes = value.base64Bytes else { throw malformed("\(field) is not base64") }
        return bytes
    }

    func bool(_ json: GatewayJSON, _ field: String) throws(EtcdError) -> Bool {
        guard let value = json[field] else { return false }
        guard let flag = value.bool else { throw malformed("\(field) is not a boolean") }
        return flag
    }

    func array(_ json: GatewayJSON, _ field: String) throws(EtcdError) -> [GatewayJSON] {
        guard let value = json[field] else { return [] }
        guard let values = value.array else { throw malformed("\(field) is not an array") }
        return values
    }

    func headerRevision(_ json: GatewayJSON) throws(EtcdError) -> Int64 {
        guard let header = json["header"] else { return 0 }
        return try int64(header, "revision")
    }

    func keyValue(_ json: GatewayJSON) throws(EtcdError) -> EtcdKeyValue {
        guard case .object = json else { throw malformed("a key-value is not an object") }
        return EtcdKeyValue(
            key: try bytes(json, "key"), value: try bytes(json, "value"),
            createRevision: try int64(json, "create_revision"), modRevision: try int64(json, "mod_revision"),
            version: try int64(json, "version"))
    }

    func range(_ json: GatewayJSON, revision: Int64? = nil) throws(EtcdError) -> EtcdRangeResponse {
        var kvs: [EtcdKeyValue] = []
        let values = try array(json, "kvs")
        kvs.reserveCapacity(values.count)
        for value in values { kvs.append(try keyValue(value)) }
        let headerRevision = try headerRevision(json)
        return EtcdRangeResponse(
            revision: revision ?? headerRevision, kvs: kvs, more: try bool(json, "more"),
            count: try int64(json, "count"))
    }

    func txn(_ json: GatewayJSON) throws(EtcdError) -> EtcdTxnResponse {
        let revision = try headerRevision(json)
        var results: [EtcdOperationResult] = []
        for response in try array(json, "responses") {
            if let range = response["response_range"] {
                results.append(.range(try self.range(range, revision: revision)))
            } else if let put = response["response_put"] {
                results.append(.put(previous: try put["prev_kv"].map { value throws(EtcdError) in try keyValue(value) }))
            } else if let delete = response["response_delete_range"] {
                var previous: [EtcdKeyValue] = []
                for value in try array(delete, "prev_kvs") { previous.append(try keyValue(value)) }
                results.append(.delete(deleted: try int64(delete, "deleted"), previous: previous))
            } else {
                throw malformed("a transaction response of an unknown kind")
            }
        }
        return EtcdTxnResponse(revision: revision, succeeded: try bool(json, "succeeded"), results: results)
    }

    func status(_ json: GatewayJSON) throws(EtcdError) -> EtcdMemberStatus {
        let header = json["header"] ?? .object([:])
        return EtcdMemberStatus(
            endpoint: endpoint, memberID: UInt64(bitPattern: try int64Unsigned(header, "member_id")),
            leaderID: UInt64(bitPattern: try int64Unsigned(json, "leader")),
            raftTerm: UInt64(bitPattern: try int64Unsigned(json, "raftTerm")),
            revision: try headerRevision(json), version: json["version"]?.string ?? "",
            databaseSize: try int64(json, "dbSize"))
    }

    /// A uint64 (member IDs use all 64 bits), as its bit pattern.
    func int64Unsigned(_ json: GatewayJSON, _ field: String) throws(EtcdError) -> Int64 {
        guard let value = json[field] else { return 0 }
        let text: String
        switch value {
        case .string(let string): text = string
        case .number(_, let string): text = string
        default: throw malformed("\(field) is not a uint64")
        }
        guard let number = UInt64(text) else { throw malformed("\(field) is not a uint64") }
        return Int64(bitPattern: number)
    }

    func event(_ json: GatewayJSON) throws(EtcdError) -> EtcdWatchResponse.Event {
        let type: EtcdWatchResponse.EventType
        switch json["type"]?.string {
        case nil, "PUT": type = .put
        case "DELETE": type = .delete
        case let other?: throw malformed("an event of type \(other)")
        }
        guard let kv = json["kv"] else { throw malformed("an event without kv") }
        return EtcdWatchResponse.Event(
            type: type, kv: try keyValue(kv),
            previous: try json["prev_kv"].map { value throws(EtcdError) in try keyValue(value) })
    }
}
