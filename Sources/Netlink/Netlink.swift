// The Netlink module; see Docs/architecture.md.
