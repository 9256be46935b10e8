//! The data-availability and settlement-layer seams. Implementations live in `minitia-da`
//! (`LocalDa`, `CelestiaDa`) and in the L1 crates (`EmbeddedL1`, `RemoteL1`); binaries depend
//! on these traits and only wiring code names a backend.

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::hash::Hash32;

/// A Celestia namespace: version byte + 28-byte id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Namespace(pub [u8; 29]);

/// Where a blob landed on DA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobPointer {
    /// DA block height.
    pub height: u64,
    /// Blob commitment (Celestia share commitment).
    pub commitment: Hash32,
}

/// Why a DA call failed, split so callers know whether to retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DaError {
    /// Network or node unavailable; retry with backoff.
    #[error("DA unavailable: {0}")]
    Unavailable(String),
    /// The request itself is wrong (oversized blob, bad namespace, auth); do not retry.
    #[error("DA rejected the request: {0}")]
    Rejected(String),
    /// Nothing at that pointer.
    #[error("blob not found at height {0}")]
    NotFound(u64),
}

impl DaError {
    /// True when retrying the same call may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// A data-availability layer.
pub trait DaClient: Send + Sync {
    /// Posts blobs under `namespace`; resolves once included, with their pointers.
    fn submit(
        &self,
        namespace: Namespace,
        blobs: Vec<Vec<u8>>,
    ) -> impl Future<Output = Result<Vec<BlobPointer>, DaError>> + Send;
    /// Fetches one blob.
    fn get(
        &self,
        namespace: Namespace,
        pointer: BlobPointer,
    ) -> impl Future<Output = Result<Vec<u8>, DaError>> + Send;
    /// Fetches all blobs of `namespace` at `height`.
    fn get_all(
        &self,
        namespace: Namespace,
        height: u64,
    ) -> impl Future<Output = Result<Vec<Vec<u8>>, DaError>> + Send;
    /// The latest DA height.
    fn head(&self) -> impl Future<Output = Result<u64, DaError>> + Send;
}

/// Why an L1 call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum L1Error {
    /// Network or node unavailable; retry with backoff.
    #[error("L1 unavailable: {0}")]
    Unavailable(String),
    /// The L1 rejected the tx or query, with its code and log.
    #[error("L1 rejected ({codespace}/{code}): {log}")]
    Rejected {
        /// Error namespace.
        codespace: String,
        /// Error code.
        code: u32,
        /// Log.
        log: String,
    },
}

/// A settlement layer reached over its CometBFT RPC: raw queries and tx broadcast.
pub trait L1Client: Send + Sync {
    /// Latest committed L1 height.
    fn latest_height(&self) -> impl Future<Output = Result<u64, L1Error>> + Send;
    /// `abci_query` on a gRPC method path with a protobuf request; returns the response bytes.
    fn query(
        &self,
        path: &str,
        request: Vec<u8>,
        height: Option<u64>,
    ) -> impl Future<Output = Result<Vec<u8>, L1Error>> + Send;
    /// Broadcasts a signed `TxRaw`; resolves with the tx hash once accepted by CheckTx.
    fn broadcast(&self, tx_raw: Vec<u8>) -> impl Future<Output = Result<Hash32, L1Error>> + Send;
}
