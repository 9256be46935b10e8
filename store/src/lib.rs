//! The committed state store: a persistent, versioned key/value store with a sparse Merkle commitment and ICS-23 proofs.
//!
//! # Design
//!
//! - **Commitment**: a binary sparse Merkle tree over `sha256(key)`, single-leaf subtrees
//!   collapsed to the leaf, hashed exactly as ICS-23's [`ics23::smt_spec()`] expects
//!   (`leaf = sha256(0x00 ‖ sha256(key) ‖ sha256(value))`, `inner = sha256(0x01 ‖ l ‖ r)`,
//!   empty = 32 zero bytes; see `tree.rs`). [`Store::prove_key`] / [`Store::prove_many`]
//!   return ICS-23 `CommitmentProof`s ([`proof`]) that `ics23::verify_membership` /
//!   `verify_non_membership` with `smt_spec()` accept against [`Store::root_of`]. The empty
//!   state's root is [`Hash32::ZERO`](minitia_core::Hash32::ZERO); ICS-23 cannot prove
//!   anything against it, so verifiers must treat the zero root as "every key absent".
//! - **Memory**: the trees of hashes live in memory in one slab-allocated forest (see
//!   `tree.rs`): nodes addressed by 32-bit indices, each parent holding its children's
//!   indices *and hashes*, so a commit reads only the nodes on the paths it rebuilds and never
//!   dereferences an untouched sibling. A commit sorts its writes by key hash and rebuilds only
//!   the touched paths, hashing each touched node once. The last
//!   [`StoreConfig::retained_versions`] trees are kept (sharing all untouched nodes); the
//!   nodes a version stopped using go back to the slab once no retained version needs them.
//!   Recent versions can be proven and read with one tree walk plus one point lookup (each
//!   leaf remembers the version that wrote it).
//! - **Disk** (redb, see `db.rs`): only values and per-version roots, never tree nodes. A
//!   commit appends its writes to a version-ordered log and its root, in one durable
//!   (`Durability::Immediate`) transaction. Every [`StoreConfig::index_interval`] versions
//!   the log is frozen, and the following commits each move a key-range slice of it (about
//!   `1/index_interval` of its rows) into the key-ordered history that serves reads of old
//!   versions and prefix iteration, so no commit pays for a whole merge. On open, the tree is
//!   rebuilt from the indexed history, the logs are replayed version by version, and every
//!   rebuilt root must equal its stored root, or opening fails with [`StoreError::Corrupt`].
//! - **Errors**: [`StoreError`], converted into `minitia_core::StateError` at the seams.
//!
//! Empty keys and empty values are rejected at commit: ICS-23 existence proofs cannot carry
//! them (delete the key instead of storing an empty value).
//!
//! A [`StoreView`] holds a redb read snapshot; keep views short-lived, since a live snapshot
//! keeps redb from reusing the pages it references. A view of a retained version reads
//! through that version's tree (under a read lock the committer only takes briefly); once
//! the version falls out of the retained window the view reads from the history instead,
//! with the same results.

// Without `db` the tree's writing half (used by `Store` and witness building) is unused.
#![cfg_attr(not(feature = "db"), allow(dead_code, unused_imports))]

#[cfg(feature = "db")]
mod db;
#[cfg(feature = "db")]
mod error;
pub mod proof;
#[cfg(feature = "db")]
mod store;
mod tree;
pub mod witness;
#[cfg(feature = "db")]
mod witness_build;

#[cfg(feature = "db")]
pub use error::StoreError;
pub use ics23;
pub use proof::{proof_spec, verify_membership, verify_non_membership};
#[cfg(feature = "db")]
pub use store::{CommitStats, KeyProof, Store, StoreConfig, StoreView};
pub use witness::{Witness, WitnessError, WitnessStats};
