//! Clients of a running chain (our L1, a minitia, or a remote Initia-style L1) over its
//! CometBFT JSON-RPC: [`RemoteChain`] for queries and broadcasts, and [`TxSubmitter`], the one
//! tx path every bot uses (sequence resync, fee bump, retry with backoff, low-balance alarm).
//!
//! Both speak only the public wire formats (`abci_query` on gRPC method paths with protobuf
//! bodies, `broadcast_tx_sync` of a `TxRaw`, `tx` by hash), so they work unchanged against any
//! Cosmos SDK chain that serves CometBFT 0.38 RPC.

mod submitter;

use std::time::Duration;

use cosmrs::proto::cosmos::{
    auth::v1beta1::{BaseAccount, QueryAccountRequest, QueryAccountResponse},
    bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse},
};
use minitia_core::{Hash32, L1Client, L1Error};
use prost::Message;
use tendermint_rpc::{client::CompatMode, Client, HttpClient, Url};

pub use submitter::{
    submitter_metrics, GasPrice, SubmitError, SubmittedTx, SubmitterConfig, SubmitterStatus,
    TxSubmitter,
};

/// A chain reached over its CometBFT JSON-RPC (HTTP).
#[derive(Clone)]
pub struct RemoteChain {
    rpc: HttpClient,
    url: String,
}

impl std::fmt::Debug for RemoteChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteChain")
            .field("url", &self.url)
            .finish()
    }
}

/// A delivered tx as the chain reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxOutcome {
    /// Tx hash.
    pub hash: Hash32,
    /// Block height that included it.
    pub height: u64,
    /// Result code (0 = success).
    pub code: u32,
    /// Error namespace when `code != 0`.
    pub codespace: String,
    /// Result log.
    pub log: String,
    /// Gas used.
    pub gas_used: u64,
    /// Events as `(type, [(key, value)])`.
    pub events: Vec<(String, Vec<(String, String)>)>,
}

impl TxOutcome {
    /// The value of attribute `key` of the first event of type `kind`.
    pub fn attr(&self, kind: &str, key: &str) -> Option<&str> {
        self.events
            .iter()
            .filter(|(k, _)| k == kind)
            .flat_map(|(_, attrs)| attrs.iter())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) fn unavailable(e: impl std::fmt::Display) -> L1Error {
    L1Error::Unavailable(e.to_string())
}

pub(crate) fn events_of(
    events: &[tendermint::abci::Event],
) -> Vec<(String, Vec<(String, String)>)> {
    events
        .iter()
        .map(|e| {
            (
                e.kind.clone(),
                e.attributes
                    .iter()
                    .map(|a| {
                        (
                            a.key_str().unwrap_or_default().to_string(),
                            a.value_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect(),
            )
        })
        .collect()
}

impl RemoteChain {
    /// A client of the CometBFT RPC at `url` (e.g. `http://127.0.0.1:26657`).
    pub fn new(url: &str) -> Result<Self, L1Error> {
        let parsed: Url = url
            .parse()
            .map_err(|e| L1Error::Unavailable(format!("bad RPC URL {url:?}: {e}")))?;
        let rpc = HttpClient::builder(parsed.try_into().map_err(unavailable)?)
            .compat_mode(CompatMode::V0_38)
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| L1Error::Unavailable(format!("RPC client for {url}: {e}")))?;
        Ok(Self {
            rpc,
            url: url.to_string(),
        })
    }

    /// The underlying tendermint-rpc client, for reads this type does not wrap.
    pub fn rpc(&self) -> &HttpClient {
        &self.rpc
    }

    /// The RPC URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The chain id the node reports.
    pub async fn chain_id(&self) -> Result<String, L1Error> {
        let s = self.rpc.status().await.map_err(unavailable)?;
        Ok(s.node_info.network.to_string())
    }

    /// A typed `abci_query` on a gRPC method path.
    pub async fn query_proto<Q: Message, R: Message + Default>(
        &self,
        path: &str,
        request: &Q,
        height: Option<u64>,
    ) -> Result<R, L1Error> {
        let bytes = self.query(path, request.encode_to_vec(), height).await?;
        R::decode(bytes.as_slice()).map_err(|e| L1Error::Rejected {
            codespace: "client".into(),
            code: 1,
            log: format!("undecodable response to {path}: {e}"),
        })
    }

    /// `(account_number, sequence)` of `address`, or `None` if the chain has no such account.
    pub async fn account(&self, address: &str) -> Result<Option<(u64, u64)>, L1Error> {
        let r: Result<QueryAccountResponse, _> = self
            .query_proto(
                "/cosmos.auth.v1beta1.Query/Account",
                &QueryAccountRequest {
                    address: address.to_string(),
                },
                None,
            )
            .await;
        match r {
            Ok(r) => {
                let Some(any) = r.account else {
                    return Ok(None);
                };
                let acc =
                    BaseAccount::decode(any.value.as_slice()).map_err(|e| L1Error::Rejected {
                        codespace: "client".into(),
                        code: 1,
                        log: format!("account {address}: not a BaseAccount: {e}"),
                    })?;
                Ok(Some((acc.account_number, acc.sequence)))
            }
            // The SDK answers NotFound (sdk code 22 or gRPC 5) for an unknown account.
            Err(L1Error::Rejected { log, .. }) if log.contains("not found") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Balance of `address` in `denom`.
    pub async fn balance(&self, address: &str, denom: &str) -> Result<u128, L1Error> {
        let r: QueryBalanceResponse = self
            .query_proto(
                "/cosmos.bank.v1beta1.Query/Balance",
                &QueryBalanceRequest {
                    address: address.to_string(),
                    denom: denom.to_string(),
                },
                None,
            )
            .await?;
        Ok(r.balance
            .map(|c| c.amount.parse().unwrap_or(0))
            .unwrap_or(0))
    }

    /// The delivered result of tx `hash`, or `None` while it is not in a block.
    pub async fn tx(&self, hash: Hash32) -> Result<Option<TxOutcome>, L1Error> {
        let h = tendermint::Hash::Sha256(hash.0);
        match self.rpc.tx(h, false).await {
            Ok(r) => Ok(Some(TxOutcome {
                hash,
                height: r.height.value(),
                code: r.tx_result.code.value(),
                codespace: r.tx_result.codespace.clone(),
                log: r.tx_result.log.clone(),
                gas_used: r.tx_result.gas_used.max(0) as u64,
                events: events_of(&r.tx_result.events),
            })),
            Err(e) => {
                let s = e.to_string();
                if s.contains("not found") {
                    Ok(None)
                } else {
                    Err(unavailable(s))
                }
            }
        }
    }

    /// Polls until tx `hash` is in a block or `timeout` passes (`Ok(None)`).
    pub async fn wait_tx(
        &self,
        hash: Hash32,
        timeout: Duration,
    ) -> Result<Option<TxOutcome>, L1Error> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(t) = self.tx(hash).await? {
                return Ok(Some(t));
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl L1Client for RemoteChain {
    async fn latest_height(&self) -> Result<u64, L1Error> {
        let s = self.rpc.status().await.map_err(unavailable)?;
        Ok(s.sync_info.latest_block_height.value())
    }

    async fn query(
        &self,
        path: &str,
        request: Vec<u8>,
        height: Option<u64>,
    ) -> Result<Vec<u8>, L1Error> {
        let h = height
            .map(tendermint::block::Height::try_from)
            .transpose()
            .map_err(|e| L1Error::Unavailable(format!("height: {e}")))?;
        let r = self
            .rpc
            .abci_query(Some(path.to_string()), request, h, false)
            .await
            .map_err(unavailable)?;
        if r.code.is_err() {
            return Err(L1Error::Rejected {
                codespace: r.codespace,
                code: r.code.value(),
                log: r.log,
            });
        }
        Ok(r.value)
    }

    async fn broadcast(&self, tx_raw: Vec<u8>) -> Result<Hash32, L1Error> {
        let r = self
            .rpc
            .broadcast_tx_sync(tx_raw)
            .await
            .map_err(unavailable)?;
        if r.code.is_err() {
            return Err(L1Error::Rejected {
                codespace: r.codespace,
                code: r.code.value(),
                log: r.log,
            });
        }
        Hash32::from_slice(r.hash.as_bytes())
            .ok_or_else(|| L1Error::Unavailable(format!("bad tx hash length from {}", self.url)))
    }
}
