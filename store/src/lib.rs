//! The committed state store: a persistent, versioned key/value store with a sparse Merkle commitment and ICS-23 proofs.
