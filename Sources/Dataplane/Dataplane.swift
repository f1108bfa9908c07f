// The Dataplane module; see Docs/architecture.md.
