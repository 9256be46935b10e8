//! JSON-RPC 2.0 envelopes and the method dispatch shared by HTTP and websocket.

use std::{sync::Arc, time::Duration};

use serde_json::{json, Value};
use tendermint_rpc::{query::Query, Order};
use tokio::sync::broadcast::error::RecvError;

use super::{
    backend::{NodeEvent, RpcBackend, RpcError},
    encode,
    params::Params,
};

/// A JSON-RPC error as CometBFT reports it (`rpc/jsonrpc/types`): a fixed message per code and
/// the cause in `data` (omitted when empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcFail {
    /// JSON-RPC error code.
    pub code: i64,
    /// Fixed message of the code (`"Invalid params"`, ...).
    pub message: &'static str,
    /// The cause.
    pub data: String,
}

impl RpcFail {
    /// -32700.
    pub fn parse_error(data: impl Into<String>) -> Self {
        Self {
            code: -32700,
            message: "Parse error",
            data: data.into(),
        }
    }
    /// -32600.
    pub fn invalid_request(data: impl Into<String>) -> Self {
        Self {
            code: -32600,
            message: "Invalid Request",
            data: data.into(),
        }
    }
    /// -32601.
    pub fn method_not_found() -> Self {
        Self {
            code: -32601,
            message: "Method not found",
            data: String::new(),
        }
    }
    /// -32602.
    pub fn invalid_params(data: impl Into<String>) -> Self {
        Self {
            code: -32602,
            message: "Invalid params",
            data: data.into(),
        }
    }
    /// -32603.
    pub fn internal(data: impl Into<String>) -> Self {
        Self {
            code: -32603,
            message: "Internal error",
            data: data.into(),
        }
    }

    /// The `error` member.
    pub fn to_json(&self) -> Value {
        let mut e = json!({"code": self.code, "message": self.message});
        if !self.data.is_empty() {
            e["data"] = Value::String(self.data.clone());
        }
        e
    }
}

impl From<RpcError> for RpcFail {
    fn from(e: RpcError) -> Self {
        match e {
            RpcError::InvalidParams(m) => RpcFail::invalid_params(m),
            // CometBFT's wording for heights above the tip (rpc/core/blocks.go getHeight).
            RpcError::HeightUnavailable { requested, latest } if requested > latest => {
                RpcFail::internal(format!(
                    "height {requested} must be less than or equal to the current blockchain height {latest}"
                ))
            }
            other => RpcFail::internal(other.to_string()),
        }
    }
}

/// A success envelope.
pub fn success(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// An error envelope (`id` omitted when unknown, as CometBFT does for parse errors).
pub fn failure(id: Option<&Value>, err: &RpcFail) -> Value {
    match id {
        Some(id) => json!({"jsonrpc": "2.0", "id": id, "error": err.to_json()}),
        None => json!({"jsonrpc": "2.0", "error": err.to_json()}),
    }
}

/// A parsed request.
#[derive(Debug)]
pub(crate) struct Request {
    /// `None` for a notification (no `id` member), which gets no response.
    pub id: Option<Value>,
    pub method: String,
    pub params: Option<Value>,
}

/// Validates one request object.
pub(crate) fn parse_request(v: Value) -> Result<Request, (Option<Value>, RpcFail)> {
    let Value::Object(mut m) = v else {
        return Err((
            None,
            RpcFail::invalid_request("request must be a JSON object"),
        ));
    };
    let id = m.remove("id");
    if let Some(idv) = &id {
        if !(idv.is_string() || idv.is_i64() || idv.is_u64() || idv.is_null()) {
            return Err((
                None,
                RpcFail::invalid_request(format!("invalid id {idv}: must be a string or integer")),
            ));
        }
    }
    // Like CometBFT, the `jsonrpc` member is not checked (responses always say "2.0").
    let method = match m.remove("method") {
        Some(Value::String(s)) => s,
        _ => return Err((id, RpcFail::invalid_request("method must be a string"))),
    };
    Ok(Request {
        id,
        method,
        params: m.remove("params"),
    })
}

/// Server knobs.
#[derive(Debug, Clone)]
pub struct RpcConfig {
    /// How long `broadcast_tx_commit` waits for the tx to be committed (CometBFT's
    /// `timeout_broadcast_tx_commit`, default 10s).
    pub broadcast_tx_commit_timeout: Duration,
    /// Maximum request body size in bytes (CometBFT's `max_body_bytes`, default 1 MB).
    pub max_body_bytes: usize,
    /// Maximum subscriptions per websocket client (CometBFT's
    /// `max_subscriptions_per_client`, default 5).
    pub max_subscriptions_per_client: usize,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            broadcast_tx_commit_timeout: Duration::from_secs(10),
            max_body_bytes: 1_000_000,
            max_subscriptions_per_client: 5,
        }
    }
}

/// Methods that only exist on the websocket.
pub(crate) fn is_ws_only(method: &str) -> bool {
    matches!(method, "subscribe" | "unsubscribe" | "unsubscribe_all")
}

fn height_param(p: &Params, name: &str) -> Result<Option<u64>, RpcFail> {
    match p.u64(name)? {
        Some(0) => Err(RpcFail::internal(
            "height must be greater than 0, but got 0",
        )),
        h => Ok(h),
    }
}

fn enc(r: Result<Value, String>) -> Result<Value, RpcFail> {
    r.map_err(RpcFail::internal)
}

/// Runs a non-subscription method against the backend. Backend calls are synchronous (they
/// may hit storage), so they run on tokio's blocking pool; `broadcast_tx_commit` waits for the
/// commit asynchronously.
pub(crate) async fn call<B: RpcBackend>(
    backend: &Arc<B>,
    config: &RpcConfig,
    method: &str,
    p: &Params,
) -> Result<Value, RpcFail> {
    if method == "broadcast_tx_commit" {
        let tx = p
            .bytes("tx")?
            .ok_or_else(|| RpcFail::invalid_params("missing tx"))?;
        return broadcast_tx_commit(backend, config, tx).await;
    }
    let b = Arc::clone(backend);
    let m = method.to_string();
    let p = p.clone();
    tokio::task::spawn_blocking(move || call_sync(&*b, &m, &p))
        .await
        .map_err(|e| RpcFail::internal(format!("request failed: {e}")))?
}

/// Genesis chunk size of `genesis_chunked` (CometBFT's `genesisChunkSize`, 16 MiB).
const GENESIS_CHUNK: usize = 16 * 1024 * 1024;

fn call_sync<B: RpcBackend>(backend: &B, method: &str, p: &Params) -> Result<Value, RpcFail> {
    match method {
        "health" => Ok(json!({})),
        "status" => enc(encode::status(&backend.status()?)),
        "genesis" => Ok(json!({"genesis": backend.genesis()?})),
        "abci_info" => Ok(encode::abci_info(&backend.abci_info()?)),
        "abci_query" => {
            let path = p.string("path")?.unwrap_or_default();
            let data = p.hex_bytes("data")?.unwrap_or_default();
            let height = p.u64("height")?.unwrap_or(0);
            let prove = p.bool("prove")?.unwrap_or(false);
            enc(encode::abci_query(
                &backend.abci_query(&path, &data, height, prove)?,
            ))
        }
        "broadcast_tx_sync" | "broadcast_tx_async" => {
            let tx = p
                .bytes("tx")?
                .ok_or_else(|| RpcFail::invalid_params("missing tx"))?;
            Ok(encode::broadcast_tx(&backend.submit_tx(tx)?))
        }
        "block" => enc(encode::block(&backend.block(height_param(p, "height")?)?)),
        "block_by_hash" => {
            let Some(hash) = p.hash("hash")? else {
                return Ok(encode::block_not_found());
            };
            match backend.block_by_hash(hash)? {
                Some(b) => enc(encode::block(&b)),
                None => Ok(encode::block_not_found()),
            }
        }
        "header" => {
            let b = backend.block(height_param(p, "height")?)?;
            enc(encode::header(&b.block.header))
        }
        "header_by_hash" => match p.hash("hash")? {
            Some(hash) => match backend.block_by_hash(hash)? {
                Some(b) => enc(encode::header(&b.block.header)),
                None => Ok(json!({"header": null})),
            },
            None => Ok(json!({"header": null})),
        },
        "genesis_chunked" => {
            let doc = serde_json::to_vec(&backend.genesis()?)
                .map_err(|e| RpcFail::internal(format!("failed to encode genesis: {e}")))?;
            let chunks: Vec<&[u8]> = doc.chunks(GENESIS_CHUNK).collect();
            let id = p
                .u64("chunk")?
                .ok_or_else(|| RpcFail::invalid_params("missing chunk"))?;
            match usize::try_from(id).ok().and_then(|i| chunks.get(i)) {
                Some(c) => Ok(json!({
                    "chunk": id.to_string(),
                    "total": chunks.len().to_string(),
                    "data": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, c),
                })),
                None => Err(RpcFail::internal(format!(
                    "there are {} chunks, {id} is invalid",
                    chunks.len().saturating_sub(1)
                ))),
            }
        }
        "block_results" => enc(encode::block_results(
            &backend.block_results(height_param(p, "height")?)?,
        )),
        "commit" => enc(encode::commit(&backend.commit(height_param(p, "height")?)?)),
        "validators" => {
            let mut r = backend.validators(height_param(p, "height")?)?;
            let total = r.validators.len();
            let per_page = per_page(p.u64("per_page")?);
            let page = page_index(p.u64("page")?, per_page, total)?;
            let skip = (page - 1) * per_page;
            r.validators = r.validators.into_iter().skip(skip).take(per_page).collect();
            r.total = i32::try_from(total).unwrap_or(i32::MAX);
            enc(encode::validators(&r))
        }
        "blockchain" => {
            let latest = backend.latest_height().value();
            let (min, max) = filter_min_max(latest, p.u64("minHeight")?, p.u64("maxHeight")?)?;
            enc(encode::blockchain(&backend.blockchain(min, max)?))
        }
        "tx" => {
            let hash = p
                .hash("hash")?
                .ok_or_else(|| RpcFail::invalid_params("missing hash"))?;
            match backend.tx(hash)? {
                Some(t) => enc(encode::tx(&t, p.bool("prove")?.unwrap_or(false))),
                None => Err(RpcFail::internal(format!(
                    "tx ({}) not found",
                    encode::hash_hex(&hash)
                ))),
            }
        }
        "tx_search" => {
            let q = p
                .string("query")?
                .ok_or_else(|| RpcFail::invalid_params("missing query"))?;
            let query: Query = q.parse().map_err(|e| {
                RpcFail::internal(format!(
                    "failed to parse query: {}",
                    encode::short_error(&e)
                ))
            })?;
            let per_page = per_page(p.u64("per_page")?);
            let page = p.u64("page")?.unwrap_or(1);
            let order = match p.string("order_by")?.as_deref() {
                None | Some("") | Some("asc") => Order::Ascending,
                Some("desc") => Order::Descending,
                Some(o) => {
                    return Err(RpcFail::internal(format!(
                        "expected order_by to be either `asc` or `desc` or empty, got {o}"
                    )))
                }
            };
            let page32 = u32::try_from(page)
                .map_err(|_| RpcFail::internal(format!("page {page} out of range")))?;
            if page32 == 0 {
                return Err(RpcFail::internal(
                    "page should be within [1, N] range, given 0",
                ));
            }
            let per_page8 = u8::try_from(per_page).unwrap_or(u8::MAX);
            let (txs, total) = backend.tx_search(&query, page32, per_page8, order)?;
            // CometBFT validates the page against the total (validatePage).
            let pages = (total as usize).div_ceil(per_page).max(1);
            if page as usize > pages {
                return Err(RpcFail::internal(format!(
                    "page should be within [1, {pages}] range, given {page}"
                )));
            }
            enc(encode::tx_search(
                &txs,
                total,
                p.bool("prove")?.unwrap_or(false),
            ))
        }
        _ => Err(RpcFail::method_not_found()),
    }
}

/// CometBFT's `validatePerPage`: default 30, capped at 100.
fn per_page(v: Option<u64>) -> usize {
    match v {
        None | Some(0) => 30,
        Some(n) if n > 100 => 100,
        Some(n) => n as usize,
    }
}

/// CometBFT's `validatePage`.
fn page_index(page: Option<u64>, per_page: usize, total: usize) -> Result<usize, RpcFail> {
    let pages = total.div_ceil(per_page).max(1);
    let page = page.unwrap_or(1);
    if page == 0 || page as usize > pages {
        return Err(RpcFail::internal(format!(
            "page should be within [1, {pages}] range, given {page}"
        )));
    }
    Ok(page as usize)
}

/// CometBFT's `filterMinMax` for `/blockchain` (base 1, at most 20 blocks).
fn filter_min_max(latest: u64, min: Option<u64>, max: Option<u64>) -> Result<(u64, u64), RpcFail> {
    let min = min.unwrap_or(1).max(1);
    let max = match max {
        None | Some(0) => latest,
        Some(m) => m.min(latest),
    };
    if min > max {
        return Err(RpcFail::internal(format!(
            "min height {min} can't be greater than max height {max}"
        )));
    }
    let min = min.max(max.saturating_sub(20 - 1));
    Ok((min, max))
}

/// `broadcast_tx_commit`: CheckTx, then wait for the tx's `Tx` event.
async fn broadcast_tx_commit<B: RpcBackend>(
    backend: &Arc<B>,
    config: &RpcConfig,
    tx: Vec<u8>,
) -> Result<Value, RpcFail> {
    // Subscribe before submitting so the commit cannot be missed.
    let mut events = backend.subscribe();
    let outcome = backend.submit_tx(tx)?;
    if outcome.code != 0 {
        return Ok(encode::broadcast_tx_commit(&outcome, None));
    }
    let hash = outcome.hash;
    let wait = async {
        loop {
            match events.recv().await {
                Ok(NodeEvent::Tx { tx }) if tx.hash == hash => return Ok(Some(*tx)),
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => {
                    if let Some(t) = backend.tx(hash)? {
                        return Ok(Some(t));
                    }
                }
                Err(RecvError::Closed) => return Ok(None),
            }
        }
    };
    let found: Option<tendermint_rpc::endpoint::tx::Response> =
        match tokio::time::timeout(config.broadcast_tx_commit_timeout, wait).await {
            Ok(r) => r.map_err(|e: RpcError| RpcFail::from(e))?,
            Err(_) => None,
        };
    // A last look in the store (the event may have been published before we listened).
    let found = match found {
        Some(t) => Some(t),
        None => backend.tx(hash)?,
    };
    match found {
        Some(t) => Ok(encode::broadcast_tx_commit(&outcome, Some(&t))),
        None => Err(RpcFail::internal(
            "timed out waiting for tx to be included in a block",
        )),
    }
}
