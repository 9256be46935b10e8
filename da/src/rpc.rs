//! The JSON-RPC front end of the local DA node: the celestia-node method subset a rollup uses,
//! over HTTP POST with bearer-token auth, answering with celestia-types' own serde encoding
//! (the encoding celestia-rpc parses, which mirrors celestia-node's JSON).
//!
//! Errors follow celestia-node/go-jsonrpc: application errors are JSON-RPC error code 1 with
//! the error text; unknown methods -32601; unreadable params -32602; a wrong token is an HTTP
//! 401 (what go-jsonrpc's auth handler answers), a missing one a JSON-RPC error per call.

use std::net::SocketAddr;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use celestia_types::nmt::{Namespace, NamespaceProof};
use celestia_types::state::Coin;
use celestia_types::Blob;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{debug, info};

use crate::error::LocalDaError;
use crate::node::{check_namespace, LocalDa};

/// Default celestia-node RPC port.
pub const DEFAULT_PORT: u16 = 26658;

fn rpc_error(id: Value, code: i32, message: String) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

fn params_array(params: Option<Value>) -> Result<Vec<Value>, LocalDaError> {
    match params {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(LocalDaError::InvalidParams(
            "params must be a positional array".into(),
        )),
    }
}

fn param<T: serde::de::DeserializeOwned>(
    params: &[Value],
    i: usize,
    name: &str,
) -> Result<T, LocalDaError> {
    let v = params
        .get(i)
        .ok_or_else(|| LocalDaError::InvalidParams(format!("missing parameter {i} ({name})")))?;
    serde_json::from_value(v.clone())
        .map_err(|e| LocalDaError::InvalidParams(format!("parameter {i} ({name}): {e}")))
}

fn b64_field(v: &Value, field: &str, what: &str) -> Result<Vec<u8>, LocalDaError> {
    let s = v.get(field).and_then(Value::as_str).ok_or_else(|| {
        LocalDaError::InvalidParams(format!("{what}: missing base64 field {field:?}"))
    })?;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| {
            LocalDaError::InvalidParams(format!("{what}: field {field:?} is not base64: {e}"))
        })
}

fn namespace_param(params: &[Value], i: usize) -> Result<Namespace, LocalDaError> {
    let s: String = param(params, i, "namespace")?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| LocalDaError::InvalidNamespace(format!("not base64: {e}")))?;
    check_namespace(&raw)
}

fn commitment_param(params: &[Value], i: usize) -> Result<[u8; 32], LocalDaError> {
    let s: String = param(params, i, "commitment")?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| LocalDaError::InvalidParams(format!("commitment is not base64: {e}")))?;
    raw.as_slice().try_into().map_err(|_| {
        LocalDaError::InvalidParams(format!("commitment must be 32 bytes, got {}", raw.len()))
    })
}

/// Reads submitted blobs, checking namespace and size before anything expensive.
fn blobs_param(params: &[Value], max_blob_size: usize) -> Result<Vec<Blob>, LocalDaError> {
    let list = params.first().and_then(Value::as_array).ok_or_else(|| {
        LocalDaError::InvalidParams("parameter 0 (blobs) must be an array".into())
    })?;
    let mut blobs = Vec::with_capacity(list.len());
    for (index, v) in list.iter().enumerate() {
        let what = format!("blob {index}");
        check_namespace(&b64_field(v, "namespace", &what)?)?;
        let size = base64_decoded_len(v.get("data").and_then(Value::as_str).unwrap_or(""));
        if size > max_blob_size {
            return Err(LocalDaError::BlobTooLarge {
                index,
                size,
                max: max_blob_size,
            });
        }
        let mut v = v.clone();
        if let Some(obj) = v.as_object_mut() {
            // celestia-node computes the commitment itself; accept blobs without one
            if !obj.contains_key("commitment") {
                let data = b64_field(&Value::Object(obj.clone()), "data", &what)?;
                let ns =
                    check_namespace(&b64_field(&Value::Object(obj.clone()), "namespace", &what)?)?;
                let c = Blob::new(ns, data, None)
                    .map_err(|e| LocalDaError::InvalidBlob(format!("{what}: {e}")))?
                    .commitment;
                obj.insert(
                    "commitment".into(),
                    serde_json::to_value(c).unwrap_or(Value::Null),
                );
            }
        }
        let blob: Blob = serde_json::from_value(v)
            .map_err(|e| LocalDaError::InvalidBlob(format!("{what}: {e}")))?;
        blobs.push(blob);
    }
    Ok(blobs)
}

fn base64_decoded_len(s: &str) -> usize {
    let pad = s.bytes().rev().take_while(|b| *b == b'=').count();
    (s.len() / 4 * 3).saturating_sub(pad)
}

fn proofs_param(params: &[Value], i: usize) -> Result<Vec<NamespaceProof>, LocalDaError> {
    // celestia-node's blob.Proof is a list of NMT proofs; celestia-rpc sends a single one
    match params.get(i) {
        Some(Value::Array(_)) => param(params, i, "proof"),
        _ => param::<NamespaceProof>(params, i, "proof").map(|p| vec![p]),
    }
}

fn to_json<T: serde::Serialize>(v: T) -> Result<Value, LocalDaError> {
    serde_json::to_value(v).map_err(|e| LocalDaError::Internal(e.to_string()))
}

async fn dispatch(da: &LocalDa, method: &str, params: Vec<Value>) -> Result<Value, LocalDaError> {
    match method {
        "blob.Submit" => {
            let blobs = blobs_param(&params, da.config().max_blob_size)?;
            let gas_price = params
                .get(1)
                .and_then(|o| o.get("gas_price"))
                .and_then(Value::as_f64);
            to_json(da.submit_blobs(blobs, gas_price).await?)
        }
        "blob.Get" => {
            let height: u64 = param(&params, 0, "height")?;
            let ns = namespace_param(&params, 1)?;
            let c = commitment_param(&params, 2)?;
            to_json(da.get_blob(height, ns, &c)?)
        }
        "blob.GetAll" => {
            let height: u64 = param(&params, 0, "height")?;
            let list: Vec<String> = param(&params, 1, "namespaces")?;
            let mut namespaces = Vec::with_capacity(list.len());
            for s in list {
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .map_err(|e| LocalDaError::InvalidNamespace(format!("not base64: {e}")))?;
                namespaces.push(check_namespace(&raw)?);
            }
            let blobs = da.get_all_blobs(height, &namespaces)?;
            if blobs.is_empty() {
                Ok(Value::Null)
            } else {
                to_json(blobs)
            }
        }
        "blob.GetProof" => {
            let height: u64 = param(&params, 0, "height")?;
            let ns = namespace_param(&params, 1)?;
            let c = commitment_param(&params, 2)?;
            to_json(da.get_proof(height, ns, &c)?)
        }
        "blob.Included" => {
            let height: u64 = param(&params, 0, "height")?;
            let ns = namespace_param(&params, 1)?;
            let proofs = proofs_param(&params, 2)?;
            let c = commitment_param(&params, 3)?;
            to_json(da.included(height, ns, &proofs, &c)?)
        }
        "header.NetworkHead" | "header.LocalHead" => to_json(da.head_header()?),
        "header.GetByHeight" => {
            let height: u64 = param(&params, 0, "height")?;
            // like celestia-node: the next height is waited for, anything beyond is an error
            if height == da.head_height() + 1 {
                to_json(da.wait_for_height(height).await?)
            } else {
                to_json(da.header(height)?)
            }
        }
        "header.WaitForHeight" => {
            let height: u64 = param(&params, 0, "height")?;
            to_json(da.wait_for_height(height).await?)
        }
        "state.Balance" => {
            let coin = Coin::utia(da.balance()?);
            to_json(coin)
        }
        other => Err(LocalDaError::MethodNotFound(other.to_string())),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

async fn handle(
    State(da): State<LocalDa>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let token_ok = match (&da.config().auth_token, bearer(&headers)) {
        (None, _) => Some(true),
        (Some(want), Some(got)) => Some(constant_time_eq(want.as_bytes(), got.as_bytes())),
        (Some(_), None) => None,
    };
    if token_ok == Some(false) {
        let body = rpc_error(Value::Null, 401, LocalDaError::Unauthorized.to_string());
        return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    }
    let req: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return Json(rpc_error(Value::Null, -32700, format!("parse error: {e}")))
                .into_response()
        }
    };
    let Some(obj) = req.as_object() else {
        return Json(rpc_error(
            Value::Null,
            -32600,
            "invalid request: batches are not supported".into(),
        ))
        .into_response();
    };
    let id = obj.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = obj.get("method").and_then(Value::as_str) else {
        return Json(rpc_error(id, -32600, "invalid request: no method".into())).into_response();
    };
    if token_ok.is_none() {
        let msg = format!(
            "missing permission to invoke '{method}': send the node's auth token as a bearer token"
        );
        return Json(rpc_error(id, 1, msg)).into_response();
    }
    let params = match params_array(obj.get("params").cloned()) {
        Ok(p) => p,
        Err(e) => return Json(rpc_error(id, e.rpc_code(), e.to_string())).into_response(),
    };
    debug!(method, "rpc call");
    match dispatch(&da, method, params).await {
        Ok(result) => Json(json!({"jsonrpc": "2.0", "id": id, "result": result})).into_response(),
        Err(e) => {
            debug!(method, error = %e, "rpc call failed");
            Json(rpc_error(id, e.rpc_code(), e.to_string())).into_response()
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The axum router serving `da`'s JSON-RPC API at `/`.
pub fn router(da: LocalDa) -> Router {
    // a full Submit is a few max-size blobs in base64
    let limit = da.config().max_blob_size.saturating_mul(8).max(16 << 20);
    Router::new()
        .route("/", post(handle))
        .route("/metrics", axum::routing::get(metrics))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(da)
}

/// `GET /metrics` (no auth: it shows heights and queue sizes only).
async fn metrics(State(da): State<LocalDa>) -> Response {
    use minitia_core::metrics::{Exposition, Kind, CONTENT_TYPE};
    let (subs, blobs, bytes) = da.pending();
    let text = Exposition::new()
        .one(
            "minitia_da_height",
            "Latest DA block height.",
            Kind::Gauge,
            da.head_height() as f64,
        )
        .one(
            "minitia_da_pending_submissions",
            "Blob submissions queued for the next block.",
            Kind::Gauge,
            subs as f64,
        )
        .one(
            "minitia_da_pending_blobs",
            "Blobs queued for the next block.",
            Kind::Gauge,
            blobs as f64,
        )
        .one(
            "minitia_da_pending_bytes",
            "Blob data bytes queued for the next block.",
            Kind::Gauge,
            bytes as f64,
        )
        .finish();
    ([(axum::http::header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response()
}

/// A running local DA node: block producer plus RPC server.
#[derive(Debug)]
pub struct LocalDaServer {
    da: LocalDa,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    producer: JoinHandle<()>,
}

impl LocalDaServer {
    /// Opens the node and serves it on `listen` (port 0 picks a free port).
    pub async fn start(
        cfg: crate::node::LocalDaConfig,
        listen: SocketAddr,
    ) -> Result<Self, LocalDaError> {
        let da = tokio::task::spawn_blocking(move || LocalDa::open(cfg))
            .await
            .map_err(|e| LocalDaError::Internal(e.to_string()))??;
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| LocalDaError::Internal(format!("cannot listen on {listen}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| LocalDaError::Internal(e.to_string()))?;
        let (stop, stop_rx) = watch::channel(false);
        let mut rx1 = stop_rx.clone();
        let mut rx2 = stop_rx;
        let app = router(da.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx1.wait_for(|s| *s).await;
                })
                .await
        });
        let producer_da = da.clone();
        let producer = tokio::spawn(async move {
            producer_da
                .run_producer(async move {
                    let _ = rx2.wait_for(|s| *s).await;
                })
                .await
        });
        info!(%addr, "local DA node serving");
        Ok(Self {
            da,
            addr,
            stop,
            server,
            producer,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The node handle (also a [`minitia_core::DaClient`]).
    pub fn da(&self) -> &LocalDa {
        &self.da
    }

    /// Stops producing and serving; returns once the store is closed (clients should be
    /// dropped first so their idle connections do not hold the server open).
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.producer.await;
        let server = self.server;
        let abort = server.abort_handle();
        if tokio::time::timeout(std::time::Duration::from_secs(5), server)
            .await
            .is_err()
        {
            abort.abort();
        }
        drop(self.da);
    }

    /// Runs until `signal` resolves, then shuts down.
    pub async fn run_until(self, signal: impl std::future::Future<Output = ()>) {
        signal.await;
        self.shutdown().await;
    }
}
