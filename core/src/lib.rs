//! Minitia SDK primitives and seam traits: ids, hashes, addresses, tx/block types, state views and engines.
//!
//! This crate does no IO and has no async runtime: everything in it can run inside the
//! fraud-proof verifier. The seams are small traits that compose:
//!
//! - [`StateView`] — read-only key/value access at one committed root. Every state read of
//!   every engine goes through it, so the same code runs on the live store and on a witness.
//! - [`StateStore`] — a versioned, committed, provable store ([`StateView`] at any retained
//!   version + [`StateCommit`] + [`StateProver`]).
//! - [`ExecutionEngine`] — decodes and checks txs, executes blocks into a [`WriteSet`].
//! - [`DaClient`] / [`L1Client`] — the data-availability and settlement seams (their
//!   implementations live in `minitia-da` and the L1 crates).

pub mod address;
pub mod engine;
pub mod hash;
pub mod ids;
pub mod metrics;
pub mod opinit;
pub mod seams;
pub mod state;
pub mod types;

pub use address::{Address, AddressError};
pub use engine::{
    tx_hash, BlockContext, BlockOutput, CheckedTx, EngineError, ExecutionEngine, TxError,
};
pub use hash::{sha256, sha3_256, Hash32};
pub use ids::{ChainId, ChainIdError, Height};
pub use seams::{BlobPointer, DaClient, DaError, L1Client, L1Error, Namespace};
pub use state::{
    EmptyState, Overlay, ReadCache, StateCommit, StateError, StateIter, StateProver, StateStore,
    StateView, WriteSet,
};
pub use types::{Event, EventAttribute, TxResult};
