import Testing

@testable import Datastore

@Suite("Parallel map of stored objects")
struct ParallelMapTests {
    @Test(arguments: [0, 1, 63, 64, 65, 1_000])
    func resultsKeepTheOrderOfTheInput(count: Int) {
        let input = Array(0..<count)
        #expect(ParallelMap.map(input) { $0 * 3 } == input.map { $0 * 3 })
    }
}
