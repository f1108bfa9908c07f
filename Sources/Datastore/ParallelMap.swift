import Dispatch

/// Runs a pure transformation over a list on every core, keeping the order. For reading and decoding many
/// stored objects (files of the file datastore, values of the etcd datastore), where each element costs tens of
/// microseconds and nothing is shared.
package enum ParallelMap {
    /// Elements per task: large enough that scheduling costs little, small enough to spread the work evenly.
    package static let chunkSize = 64

    package static func map<Element: Sendable, Result: Sendable>(
        _ elements: [Element], _ transform: @Sendable (Element) -> Result
    ) -> [Result] {
        if elements.count <= chunkSize { return elements.map(transform) }
        let chunks = (elements.count + chunkSize - 1) / chunkSize
        let results = Slots<Result>(count: elements.count)
        elements.withUnsafeBufferPointer { input in
            nonisolated(unsafe) let input = input
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let start = chunk * chunkSize
                for index in start..<min(start + chunkSize, input.count) {
                    results.set(index, transform(input[index]))
                }
            }
        }
        return results.values()
    }

    /// One slot per result, each written by exactly one task before `values()` is read. The slots live in
    /// memory of their own, so that tasks writing different slots never access one Swift variable at once.
    private final class Slots<Value>: @unchecked Sendable {
        private let storage: UnsafeMutableBufferPointer<Value?>

        init(count: Int) {
            storage = .allocate(capacity: count)
            storage.initialize(repeating: nil)
        }

        deinit {
            storage.deinitialize()
            storage.deallocate()
        }

        func set(_ index: Int, _ value: Value) { storage[index] = value }

        func values() -> [Value] { storage.map { $0! } }
    }
}
