//! The committed state store: a persistent, versioned key/value store with a sparse Merkle commitment and ICS-23 proofs.
//!
//! # Design
//!
//! - **Commitment**: a binary sparse Merkle tree over `sha256(key)` with single-leaf subtrees
//!   collapsed, hashed exactly as ICS-23's [`ics23::smt_spec()`] expects (see `tree.rs`). Proofs are ICS-23 `CommitmentProof`s ([`proof`]); any ICS-23 verifier with
//!   `smt_spec()` accepts them against [`Store::root_of`]. The empty state's root is
//!   [`Hash32::ZERO`](minitia_core::Hash32::ZERO).
//! - **Memory**: the tree of hashes lives in memory as immutable `Arc`-shared nodes. A commit
//!   sorts its writes by key hash and rebuilds only the touched paths, hashing each touched
//!   node once; the last [`StoreConfig::retained_versions`] trees are kept (sharing all
//!   untouched nodes) so recent versions can be proven.
//! - **Disk**: redb holds only values (every version of every key) and per-version roots
//!   (see `db.rs`); each commit is one durable, atomic redb transaction. On open the latest tree is
//!   rebuilt from the latest values and must reproduce the stored root.
//!
//! Empty keys and empty values are rejected at commit: ICS-23 existence proofs cannot carry
//! them.

mod db;
mod error;
pub mod proof;
mod store;
mod tree;

pub use error::StoreError;
pub use ics23;
pub use proof::{proof_spec, verify_membership, verify_non_membership};
pub use store::{CommitStats, KeyProof, Store, StoreConfig, StoreView};
