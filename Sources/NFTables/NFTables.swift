// The NFTables module; see Docs/architecture.md.
