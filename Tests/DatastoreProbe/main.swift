// datastore-probe: a second process for DatastoreTests, acting on a FileDatastore the tests share with it.
//
//   datastore-probe rewrite DIR NAME          rewrites GlobalNetworkSet NAME forever with growing iterations
//                                             (the tests SIGKILL it); prints "writing" after the first write
//   datastore-probe increment DIR NAME COUNT  adds 1 to the "count" label of GlobalNetworkSet NAME (created with
//                                             0 when missing) COUNT times, retrying on conflict; prints
//                                             "conflicts N" at the end
//   datastore-probe serve DIR                 runs one command per line of standard input and answers
//                                             "ok RESOURCEVERSION" or "error DESCRIPTION":
//                                             create NAME VALUE | update NAME VALUE | get NAME | delete NAME |
//                                             burst PREFIX N
import CalicoAPI
import Datastore
import Foundation

func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("datastore-probe: " + message + "\n").utf8))
    exit(2)
}

/// A GlobalNetworkSet whose "value" label is `value`.
func networkSet(_ name: String, value: String) -> AnyResource {
    AnyResource(GlobalNetworkSet(metadata: ObjectMeta(name: name, labels: ["value": value])))
}

/// Version `iteration` of the resource `rewrite` writes: several pages long, and consistent with itself (the
/// payload repeats the iteration), so that a torn or mixed file would show.
func rewriteVersion(_ name: String, iteration: Int) -> AnyResource {
    let payload = String(repeating: "\(iteration):", count: 4000)
    return AnyResource(
        GlobalNetworkSet(
            metadata: ObjectMeta(
                name: name, labels: ["iteration": String(iteration)], annotations: ["probe.tabby/payload": payload])))
}

func rewrite(_ store: FileDatastore, name: String) async throws {
    // Carry on from the stored version, so that versions keep growing across killed probes.
    let stored = try? await store.get(ResourceKey(kind: .globalNetworkSet, name: name))
    let first = (stored?.metadata.labels?["iteration"]).flatMap { Int($0) }.map { $0 + 1 } ?? 1
    var iteration = first
    while true {
        try await createOrUpdate(store, rewriteVersion(name, iteration: iteration))
        if iteration == first { say("writing") }
        iteration += 1
    }
}

func increment(_ store: FileDatastore, name: String, count: Int) async throws {
    let key = ResourceKey(kind: .globalNetworkSet, name: name)
    var conflicts = 0
    do {
        _ = try await store.create(
            AnyResource(GlobalNetworkSet(metadata: ObjectMeta(name: name, labels: ["count": "0"]))))
    } catch {
        // Another probe created it first.
        guard case .alreadyExists = error else { throw error }
    }
    for _ in 0..<count {
        var done = false
        while !done {
            var resource = try await store.get(key)
            let value = Int(resource.metadata.labels?["count"] ?? "0") ?? 0
            resource.metadata.labels = ["count": String(value + 1)]
            done = try await updateUnlessConflict(store, resource)
            if !done { conflicts += 1 }
        }
    }
    say("conflicts \(conflicts)")
}

func createOrUpdate(_ store: FileDatastore, _ resource: AnyResource) async throws(DatastoreError) {
    do {
        _ = try await store.update(resource)
    } catch {
        guard case .notFound = error else { throw error }
        _ = try await store.create(resource)
    }
}

/// Whether the update went through; false on a conflict.
func updateUnlessConflict(_ store: FileDatastore, _ resource: AnyResource) async throws(DatastoreError) -> Bool {
    do {
        _ = try await store.update(resource)
        return true
    } catch {
        guard case .conflict = error else { throw error }
        return false
    }
}

func serve(_ store: FileDatastore) async {
    while let line = readLine() {
        let words = line.split(separator: " ").map(String.init)
        do {
            switch (words.first, words.count) {
            case ("create", 3):
                let stored = try await store.create(networkSet(words[1], value: words[2]))
                say("ok \(stored.metadata.resourceVersion ?? "")")
            case ("update", 3):
                let stored = try await store.update(networkSet(words[1], value: words[2]))
                say("ok \(stored.metadata.resourceVersion ?? "")")
            case ("get", 2):
                let stored = try await store.get(ResourceKey(kind: .globalNetworkSet, name: words[1]))
                say("ok \(stored.metadata.labels?["value"] ?? "")")
            case ("delete", 2):
                let deleted = try await store.delete(
                    ResourceKey(kind: .globalNetworkSet, name: words[1]), resourceVersion: nil)
                say("ok \(deleted.metadata.resourceVersion ?? "")")
            case ("burst", 3):
                var last = ""
                for index in 1...(Int(words[2]) ?? 1) {
                    let stored = try await store.create(networkSet("\(words[1])-\(index)", value: String(index)))
                    last = stored.metadata.resourceVersion ?? ""
                }
                say("ok \(last)")
            default:
                say("error unknown command: \(line)")
            }
        } catch {
            say("error \(error)")
        }
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { fail("usage: datastore-probe rewrite|increment|serve DIR ...") }
let store: FileDatastore
do {
    store = try FileDatastore(directory: arguments[2])
} catch {
    fail("\(error)")
}
do {
    switch (arguments[1], arguments.count) {
    case ("rewrite", 4):
        try await rewrite(store, name: arguments[3])
    case ("increment", 5):
        try await increment(store, name: arguments[3], count: Int(arguments[4]) ?? 0)
    case ("serve", 3):
        await serve(store)
    default:
        fail("usage: datastore-probe rewrite|increment|serve DIR ...")
    }
} catch {
    fail("\(error)")
}
