import CalicoAPI

extension DesiredNeighbor {
    /// For a MAC already in canonical form (skips the public initialiser's lowercasing).
    init(interface: String, address: IPAddress, canonicalMAC: String) {
        self.interface = interface
        self.address = address
        self.mac = canonicalMAC
    }
}

extension DesiredFDBEntry {
    /// For a MAC already in canonical form (skips the public initialiser's lowercasing).
    init(interface: String, canonicalMAC: String, destination: IPAddress) {
        self.interface = interface
        self.mac = canonicalMAC
        self.destination = destination
    }
}
