// The `tabby-ipam` CNI IPAM plugin: wiring only; the plugin's logic is in the CNI module (issue 13, in progress).
import CNI

_ = CNIError.Code.incompatibleVersion
