import NetworkAddress
import Netlink
import NetworkAddress

// Short constructors for test data; they trap on malformed text, which is a bug in the test itself.

func address(_ text: String) -> IPAddress { IPAddress(text)! }
func prefix(_ text: String) -> CIDR { CIDR(text)! }
func mac(_ text: String) -> MACAddress { MACAddress(text)! }
