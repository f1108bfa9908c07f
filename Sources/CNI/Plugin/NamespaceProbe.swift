import Glibc
import Netlink
import SystemError

/// Checks that `CNI_NETNS` is a network namespace before the plugin takes anything (an address, a veth): a
/// path that does not exist, or a file that is not a network namespace, is code 3 (the container is unknown).
public enum NamespaceProbe {
    public static func check(_ path: String) throws(CNIError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CNIError(
                .unknownContainer, "the container's network namespace is not there",
                details: "CNI_NETNS \(path): \(Errno(errno).explained)")
        }
        // setns(CLONE_NEWNET) takes only a network namespace: a plain file, a directory or a namespace of
        // another kind (mount, PID) is refused with EINVAL. The entering thread ends at once; nothing changes.
        do {
            try NetworkNamespace(path: path).perform {}
        } catch {
            throw CNIError(
                .unknownContainer, "CNI_NETNS is not a network namespace", details: "CNI_NETNS \(path): \(error)")
        }
    }
}
