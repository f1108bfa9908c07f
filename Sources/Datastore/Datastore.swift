// The Datastore module; see Docs/architecture.md.
