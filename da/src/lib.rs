//! Data availability: the local Celestia-compatible DA node and the Celestia client behind DaClient.
//!
//! - [`LocalDa`] is a DA node in-process (also a [`minitia_core::DaClient`]);
//!   [`LocalDaServer`] serves it over the celestia-node JSON-RPC subset a rollup uses
//!   (`blob.Submit/Get/GetAll/GetProof/Included`, `header.NetworkHead/GetByHeight/
//!   WaitForHeight`, `state.Balance`), so unmodified `celestia-rpc`/`celestia-client` talk to
//!   it. Namespaces, shares, commitments, the extended square and its DAH are computed with
//!   `celestia-types`; headers are `ExtendedHeader`s signed by a local validator key; blocks
//!   persist in redb.
//! - [`CelestiaDa`] is the client for a real celestia-node (or a `LocalDa`).
//! - [`batch`] is the OPinit-style batch format and [`retry`] the backoff used while DA is down.

pub mod batch;
mod celestia;
mod error;
pub mod header;
mod node;
pub mod retry;
mod rpc;
pub mod square;
mod store;

pub use celestia::{CelestiaDa, CelestiaDaConfig};
pub use error::LocalDaError;
pub use node::{check_namespace, estimate_gas, LocalDa, LocalDaConfig, MAX_BLOB_SIZE};
pub use rpc::{router, LocalDaServer, DEFAULT_PORT};
pub use store::Store;

/// Re-export of the celestia-types version this crate speaks.
pub use celestia_types;
