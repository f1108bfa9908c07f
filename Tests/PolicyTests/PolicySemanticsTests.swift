import CalicoAPI
import Testing

@testable import Policy

@Suite struct PolicySemanticsTests {
    @Test(arguments: PolicyTables.all)
    func verdict(_ row: PolicyCase) throws {
        try row.check()
    }

    @Test func theTablesAreLarge() {
        #expect(PolicyTables.all.count > 500)
    }
}
