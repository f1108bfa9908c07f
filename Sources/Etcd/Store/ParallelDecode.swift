import Dispatch

/// Decodes many values on every core, keeping their order: a cold start lists thousands of endpoints, and
/// decoding them is most of its cost.
enum ParallelDecode {
    /// Values per task: enough that scheduling costs little, few enough to spread the work evenly.
    static let chunkSize = 64

    static func map<Element: Sendable, Result: Sendable>(
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

    /// One slot per result, each written by exactly one task before `values()` is read.
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
