// The Agent module; see Docs/architecture.md.
