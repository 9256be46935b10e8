//! `CelestiaDa`: the [`DaClient`] backend for a celestia-node (light or bridge) — or a
//! [`LocalDa`](crate::LocalDa), which speaks the same API.
//!
//! Reads go through `celestia-client` in read-only mode, which validates every header it
//! fetches and checks each blob against its commitment. Submission uses celestia-node's
//! `blob.Submit` through `celestia-rpc`, so the node signs and pays with its own key; that
//! keeps key management out of the rollup (celestia-client's own `submit` signs locally and
//! needs a consensus node's gRPC endpoint instead).

use std::time::Duration;

use celestia_rpc::{BlobClient, TxConfig};
use celestia_types::nmt::Namespace;
use celestia_types::{Blob, Commitment};
use minitia_core::{BlobPointer, DaClient, DaError, Hash32};

/// How to reach a Celestia node.
#[derive(Debug, Clone)]
pub struct CelestiaDaConfig {
    /// `http://host:26658` (or `ws://`).
    pub url: String,
    /// The node's auth token (`celestia light auth write`), if it has auth enabled.
    pub auth_token: Option<String>,
    /// The rollup's namespace (see [`crate::batch::namespace_for_chain`]).
    pub namespace: minitia_core::Namespace,
    /// Gas price in utia per gas; `None` lets the node pick.
    pub gas_price: Option<f64>,
    /// Per-request timeout; a `blob.Submit` waits for inclusion, so keep it above a block.
    pub timeout: Duration,
}

impl CelestiaDaConfig {
    /// A config with a 60 s timeout and the node's gas price.
    pub fn new(url: impl Into<String>, namespace: minitia_core::Namespace) -> Self {
        Self {
            url: url.into(),
            auth_token: None,
            namespace,
            gas_price: None,
            timeout: Duration::from_secs(60),
        }
    }
}

/// A [`DaClient`] on a celestia-node.
pub struct CelestiaDa {
    cfg: CelestiaDaConfig,
    reader: celestia_client::Client,
    submitter: celestia_rpc::Client,
}

impl std::fmt::Debug for CelestiaDa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CelestiaDa")
            .field("url", &self.cfg.url)
            .field("namespace", &hex::encode(self.cfg.namespace.0))
            .finish()
    }
}

/// Classifies a JSON-RPC client error: transport trouble is retryable, node answers are not.
fn from_rpc(e: jsonrpsee_core::ClientError, height: u64) -> DaError {
    use jsonrpsee_core::ClientError as E;
    match e {
        E::Call(obj) => classify_message(obj.message(), height),
        E::Transport(t) => {
            let msg = t.to_string();
            if msg.contains("401") || msg.contains("403") {
                DaError::Rejected(format!("DA node refused the auth token: {msg}"))
            } else {
                DaError::Unavailable(msg)
            }
        }
        other => DaError::Unavailable(other.to_string()),
    }
}

fn classify_message(msg: &str, height: u64) -> DaError {
    if msg.contains("not found") {
        DaError::NotFound(height)
    } else if msg.contains("from the future")
        || msg.contains("timed out")
        || msg.contains("mempool is full")
        || msg.contains("shutting down")
    {
        DaError::Unavailable(msg.to_string())
    } else {
        DaError::Rejected(msg.to_string())
    }
}

fn from_client(e: celestia_client::Error, height: u64) -> DaError {
    match e {
        celestia_client::Error::Rpc(celestia_rpc::Error::JsonRpc(e)) => from_rpc(e, height),
        celestia_client::Error::Types(e) => {
            DaError::Rejected(format!("DA node returned invalid data: {e}"))
        }
        other => DaError::Unavailable(other.to_string()),
    }
}

impl CelestiaDa {
    /// Connects, fetching and validating the node's head header.
    pub async fn connect(cfg: CelestiaDaConfig) -> Result<Self, DaError> {
        Namespace::from_raw(&cfg.namespace.0)
            .map_err(|e| DaError::Rejected(format!("bad namespace in DA config: {e}")))?;
        let submitter = celestia_rpc::Client::new(
            &cfg.url,
            cfg.auth_token.as_deref(),
            Some(Duration::from_secs(5)),
            Some(cfg.timeout),
        )
        .await
        .map_err(|e| match e {
            celestia_rpc::Error::JsonRpc(e) => from_rpc(e, 0),
            other => DaError::Rejected(format!("bad DA endpoint config: {other}")),
        })?;
        // probe with the plain client first: its errors say plainly what went wrong (a
        // refused token, a node that is down), where the failover client's may not
        celestia_rpc::HeaderClient::header_network_head(&submitter)
            .await
            .map_err(|e| from_rpc(e, 0))?;
        let mut builder = celestia_client::Client::builder()
            .rpc_url(&cfg.url)
            .timeout(cfg.timeout)
            .connect_timeout(Duration::from_secs(5));
        if let Some(token) = &cfg.auth_token {
            builder = builder.rpc_auth_token(token);
        }
        let reader = builder.build().await.map_err(|e| from_client(e, 0))?;
        Ok(Self {
            cfg,
            reader,
            submitter,
        })
    }

    /// The configured namespace.
    pub fn namespace(&self) -> minitia_core::Namespace {
        self.cfg.namespace
    }

    /// The chain id the DA node reported.
    pub fn chain_id(&self) -> String {
        self.reader.chain_id().to_string()
    }
}

fn celestia_ns(ns: minitia_core::Namespace) -> Result<Namespace, DaError> {
    Namespace::from_raw(&ns.0).map_err(|e| DaError::Rejected(format!("bad namespace: {e}")))
}

impl DaClient for CelestiaDa {
    async fn submit(
        &self,
        namespace: minitia_core::Namespace,
        blobs: Vec<Vec<u8>>,
    ) -> Result<Vec<BlobPointer>, DaError> {
        let ns = celestia_ns(namespace)?;
        let blobs = blobs
            .into_iter()
            .map(|data| Blob::new(ns, data, None))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| DaError::Rejected(e.to_string()))?;
        let mut opts = TxConfig::default();
        if let Some(p) = self.cfg.gas_price {
            opts = opts.with_gas_price(p);
        }
        let height = self
            .submitter
            .blob_submit(&blobs, opts)
            .await
            .map_err(|e| from_rpc(e, 0))?;
        Ok(blobs
            .iter()
            .map(|b| BlobPointer {
                height,
                commitment: Hash32(*b.commitment.hash()),
            })
            .collect())
    }

    async fn get(
        &self,
        namespace: minitia_core::Namespace,
        pointer: BlobPointer,
    ) -> Result<Vec<u8>, DaError> {
        let ns = celestia_ns(namespace)?;
        let blob = self
            .reader
            .blob()
            .get(pointer.height, ns, Commitment::new(pointer.commitment.0))
            .await
            .map_err(|e| from_client(e, pointer.height))?;
        Ok(blob.data)
    }

    async fn get_all(
        &self,
        namespace: minitia_core::Namespace,
        height: u64,
    ) -> Result<Vec<Vec<u8>>, DaError> {
        let ns = celestia_ns(namespace)?;
        let blobs = self
            .reader
            .blob()
            .get_all(height, &[ns])
            .await
            .map_err(|e| from_client(e, height))?;
        Ok(blobs
            .unwrap_or_default()
            .into_iter()
            .map(|b| b.data)
            .collect())
    }

    async fn head(&self) -> Result<u64, DaError> {
        let head = self
            .reader
            .header()
            .network_head()
            .await
            .map_err(|e| from_client(e, 0))?;
        Ok(head.height())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_messages_classify() {
        assert_eq!(classify_message("blob: not found", 7), DaError::NotFound(7));
        assert!(classify_message(
            "header: given height is from the future: networkHeight: 1, requestedHeight: 9",
            9
        )
        .is_retryable());
        assert!(!classify_message("invalid namespace: x", 1).is_retryable());
    }
}
