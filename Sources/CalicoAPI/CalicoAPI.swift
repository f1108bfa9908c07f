// The CalicoAPI module; see Docs/architecture.md.
