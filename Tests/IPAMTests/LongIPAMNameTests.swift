import CalicoAPI
import IPAM
import NetworkAddress
import Testing

/// IPAM object names built from a long node name stay valid names.
@Suite("IPAM names of long node names")
struct LongIPAMNameTests {
    @Test func aTunnelHandleOfA253CharacterNodeIsShortenedToAValidName() {
        let node = String(repeating: "a", count: 253)
        let name = IPAMNames.handle(IPAMNames.vxlanTunnelHandle(node: node))
        #expect(name.utf8.count <= 253)
        #expect(NameSyntax.subdomainProblem(name) == nil, "\(name)")
        #expect(name != IPAMNames.handle(IPAMNames.ipipTunnelHandle(node: node)))
        #expect(IPAMNames.handle("Pod-1") == "pod-1")
    }

    @Test func theKeptBeginningNeverEndsInADotOrADash() {
        // The cut falls right after a dot: the name must not get a label that starts with a dash.
        let node = String(repeating: "b", count: 235) + "." + String(repeating: "c", count: 17)
        let name = IPAMNames.affinity(node: node, block: CIDR("198.51.100.0/28")!)
        #expect(name.utf8.count <= 253)
        #expect(NameSyntax.subdomainProblem(name) == nil, "\(name)")
    }
}
