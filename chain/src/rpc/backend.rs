//! What the CometBFT RPC server needs from a node. The node (block store + mempool + app)
//! implements it; the server only translates JSON-RPC to these calls, so the same server
//! fronts the L1 and every minitia.

use tendermint::{abci, block, Hash};
use tendermint_rpc::{
    endpoint::{
        abci_info, abci_query, block as block_ep, block_results, blockchain, commit, status,
        tx as tx_ep, validators,
    },
    query::Query,
    Order,
};

/// An RPC-level failure, mapped to a JSON-RPC error by the server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpcError {
    /// Bad parameters (JSON-RPC -32602).
    #[error("invalid params: {0}")]
    InvalidParams(String),
    /// Height above the latest block, or below the earliest retained.
    #[error("height {requested} is not available, latest block height is {latest}")]
    HeightUnavailable {
        /// Height asked for.
        requested: u64,
        /// Latest height.
        latest: u64,
    },
    /// A tx or block that does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The node failed internally (storage); JSON-RPC -32603.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The outcome of submitting a tx to the mempool (CheckTx), as `broadcast_tx_sync` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckTxOutcome {
    /// sha256 of the tx bytes.
    pub hash: Hash,
    /// 0 when accepted.
    pub code: u32,
    /// Error namespace, empty on success.
    pub codespace: String,
    /// Error message, empty on success.
    pub log: String,
}

/// Something that happened on the node, published to websocket subscribers. Events carry
/// what CometBFT's `NewBlock` / `Tx` events carry, so subscriptions filter them with the same
/// query language (`tm.event='Tx' AND transfer.recipient='...'`).
#[derive(Debug, Clone)]
pub enum NodeEvent {
    /// A block was committed.
    NewBlock {
        /// The block.
        block: Box<tendermint::Block>,
        /// Its results (tx results and finalize-block events).
        results: Box<block_results::Response>,
    },
    /// A tx was included in a committed block.
    Tx {
        /// The tx with its result, as `/tx` returns it.
        tx: Box<tx_ep::Response>,
    },
}

/// The node behind a CometBFT JSON-RPC server. All reads are of committed data.
pub trait RpcBackend: Send + Sync + 'static {
    /// `/status`.
    fn status(&self) -> Result<status::Response, RpcError>;
    /// `/genesis`: the genesis document as JSON.
    fn genesis(&self) -> Result<serde_json::Value, RpcError>;
    /// `/abci_info`.
    fn abci_info(&self) -> Result<abci_info::Response, RpcError>;
    /// `/abci_query`: `path` is a gRPC method path (`/cosmos.bank.v1beta1.Query/Balance`) or
    /// `store/...`; `height` 0 = latest.
    fn abci_query(
        &self,
        path: &str,
        data: &[u8],
        height: u64,
        prove: bool,
    ) -> Result<abci_query::AbciQuery, RpcError>;
    /// CheckTx + mempool insertion (persisted before returning). Used by all broadcast_tx_*.
    fn submit_tx(&self, tx: Vec<u8>) -> Result<CheckTxOutcome, RpcError>;
    /// `/block`; `None` = latest.
    fn block(&self, height: Option<u64>) -> Result<block_ep::Response, RpcError>;
    /// `/block_by_hash`; `Ok(None)` when unknown (CometBFT answers `block: null`).
    fn block_by_hash(&self, hash: Hash) -> Result<Option<block_ep::Response>, RpcError>;
    /// `/block_results`; `None` = latest.
    fn block_results(&self, height: Option<u64>) -> Result<block_results::Response, RpcError>;
    /// `/blockchain`: block metas for `[min, max]`, newest first, at most 20.
    fn blockchain(&self, min: u64, max: u64) -> Result<blockchain::Response, RpcError>;
    /// `/commit`; `None` = latest.
    fn commit(&self, height: Option<u64>) -> Result<commit::Response, RpcError>;
    /// `/validators`; `None` = latest.
    fn validators(&self, height: Option<u64>) -> Result<validators::Response, RpcError>;
    /// `/tx` by hash.
    fn tx(&self, hash: Hash) -> Result<Option<tx_ep::Response>, RpcError>;
    /// `/tx_search`: returns (page of txs, total count). `page` is 1-based.
    fn tx_search(
        &self,
        query: &Query,
        page: u32,
        per_page: u8,
        order: Order,
    ) -> Result<(Vec<tx_ep::Response>, u32), RpcError>;
    /// Latest committed height.
    fn latest_height(&self) -> block::Height;
    /// A stream of node events for websocket subscriptions.
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<NodeEvent>;
    /// `GET /metrics`: Prometheus text. The default reports the latest height.
    fn metrics(&self) -> String {
        use minitia_core::metrics::{Exposition, Kind};
        Exposition::new()
            .one(
                "minitia_chain_height",
                "Latest committed block height.",
                Kind::Gauge,
                self.latest_height().value() as f64,
            )
            .finish()
    }
}

/// Flattens events into `type.key → values` the way CometBFT's indexer and pubsub see them;
/// `tm.event`, `tx.hash` and `tx.height` are added by the caller where they apply.
pub fn flatten_events(events: &[abci::Event]) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for e in events {
        for a in &e.attributes {
            let (Ok(k), Ok(v)) = (a.key_str(), a.value_str()) else {
                continue;
            };
            out.entry(format!("{}.{}", e.kind, k))
                .or_default()
                .push(v.to_string());
        }
    }
    out
}
