//! HTTP (`POST /`, single and batch) and websocket (`GET /`, with `eth_subscribe`) transport.

use std::{
    collections::BTreeMap,
    future::Future,
    sync::{Arc, Mutex},
};

use axum::{
    body::Bytes,
    extract::{
        ws::{Message, WebSocket, WebSocketUpgrade},
        DefaultBodyLimit, State,
    },
    http::header,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use futures::{SinkExt, StreamExt};
use minitia_chain::rpc::NodeEvent;
use serde_json::{json, Value};
use tokio::{net::TcpListener, sync::mpsc};

use super::{filters::LogFilter, EthApi, RpcErr};

/// Most calls in one batch.
const MAX_BATCH: usize = 1000;
/// Largest request body.
const MAX_BODY: usize = 16 << 20;

fn response(id: Value, r: Result<Value, RpcErr>) -> Value {
    match r {
        Ok(v) => json!({"jsonrpc": "2.0", "id": id, "result": v}),
        Err(e) => json!({"jsonrpc": "2.0", "id": id, "error": e.to_json()}),
    }
}

fn invalid_request(id: Value, why: &str) -> Value {
    response(
        id,
        Err(RpcErr {
            code: -32600,
            message: why.into(),
            data: None,
        }),
    )
}

/// Answers one request object (blocking: reads the stores).
fn handle_one(api: &EthApi, req: &Value) -> Value {
    let Some(o) = req.as_object() else {
        return invalid_request(Value::Null, "invalid request: expected an object");
    };
    let id = o.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = o.get("method").and_then(Value::as_str) else {
        return invalid_request(id, "invalid request: missing method");
    };
    let params = o.get("params").cloned().unwrap_or_else(|| json!([]));
    if !params.is_array() {
        return response(id, Err(RpcErr::invalid_params("params must be an array")));
    }
    if method == "eth_subscribe" || method == "eth_unsubscribe" {
        return response(
            id,
            Err(RpcErr {
                code: -32601,
                message: "notifications not supported".into(),
                data: None,
            }),
        );
    }
    let r = api.dispatch(method, &params);
    response(id, r)
}

/// Answers a request body: a single call or a batch.
pub fn handle_body(api: &EthApi, body: &[u8]) -> Value {
    let v: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return response(
                Value::Null,
                Err(RpcErr {
                    code: -32700,
                    message: format!("parse error: {e}"),
                    data: None,
                }),
            )
        }
    };
    match v {
        Value::Array(items) if items.is_empty() => invalid_request(Value::Null, "empty batch"),
        Value::Array(items) if items.len() > MAX_BATCH => invalid_request(
            Value::Null,
            &format!(
                "batch too large: {} calls, at most {MAX_BATCH}",
                items.len()
            ),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|r| handle_one(api, r)).collect()),
        single => handle_one(api, &single),
    }
}

async fn http(State(api): State<Arc<EthApi>>, body: Bytes) -> Response {
    let out = tokio::task::spawn_blocking(move || handle_body(&api, &body))
        .await
        .unwrap_or_else(|e| response(Value::Null, Err(RpcErr::internal(e))));
    (
        [(header::CONTENT_TYPE, "application/json")],
        out.to_string(),
    )
        .into_response()
}

async fn ws(State(api): State<Arc<EthApi>>, up: WebSocketUpgrade) -> Response {
    up.max_message_size(MAX_BODY)
        .on_upgrade(move |s| session(api, s))
}

enum Sub {
    Heads,
    Logs(LogFilter),
}

async fn session(api: Arc<EthApi>, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::channel::<String>(1024);
    let writer = tokio::spawn(async move {
        while let Some(m) = rx.recv().await {
            if sink.send(Message::Text(m.into())).await.is_err() {
                break;
            }
        }
    });
    let subs: Arc<Mutex<BTreeMap<String, Sub>>> = Arc::default();
    let forwarder = tokio::spawn(forward(api.clone(), subs.clone(), tx.clone()));
    let mut next_id = 0u64;
    while let Some(Ok(msg)) = stream.next().await {
        let text = match msg {
            Message::Text(t) => t.to_string(),
            Message::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
            Message::Close(_) => break,
            _ => continue,
        };
        let req: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let method = req.get("method").and_then(Value::as_str).unwrap_or("");
        let id = req.get("id").cloned().unwrap_or(Value::Null);
        let out = match method {
            "eth_subscribe" => {
                let params = req.get("params").cloned().unwrap_or(Value::Null);
                let kind = params.get(0).and_then(Value::as_str).unwrap_or("");
                let sub = match kind {
                    "newHeads" => Ok(Sub::Heads),
                    "logs" => {
                        LogFilter::parse(params.get(1).unwrap_or(&Value::Null)).map(Sub::Logs)
                    }
                    other => Err(RpcErr::invalid_params(format!(
                        "unsupported subscription type {other:?}"
                    ))),
                };
                match sub {
                    Ok(s) => {
                        next_id += 1;
                        let sid = format!("{:#034x}", next_id);
                        subs.lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(sid.clone(), s);
                        response(id, Ok(json!(sid)))
                    }
                    Err(e) => response(id, Err(e)),
                }
            }
            "eth_unsubscribe" => {
                let sid = req
                    .pointer("/params/0")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let removed = subs
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(sid)
                    .is_some();
                response(id, Ok(json!(removed)))
            }
            _ => {
                let api = api.clone();
                let body = text.into_bytes();
                tokio::task::spawn_blocking(move || handle_body(&api, &body))
                    .await
                    .unwrap_or_else(|e| response(Value::Null, Err(RpcErr::internal(e))))
            }
        };
        if tx.send(out.to_string()).await.is_err() {
            break;
        }
    }
    forwarder.abort();
    drop(tx);
    let _ = writer.await;
}

/// Sends subscription notifications for every new block, in order (a lagging receiver
/// catches up from the block store, so no block is skipped).
async fn forward(
    api: Arc<EthApi>,
    subs: Arc<Mutex<BTreeMap<String, Sub>>>,
    tx: mpsc::Sender<String>,
) {
    let mut events = api.node().subscribe();
    let mut last = api.node().height();
    loop {
        match events.recv().await {
            Ok(NodeEvent::NewBlock { .. })
            | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Ok(_) => continue,
            Err(_) => return,
        }
        let head = api.node().height();
        while last < head {
            last += 1;
            let h = last;
            let api2 = api.clone();
            let wanted: Vec<(String, Option<LogFilter>)> = subs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .map(|(id, s)| {
                    (
                        id.clone(),
                        match s {
                            Sub::Heads => None,
                            Sub::Logs(f) => Some(f.clone()),
                        },
                    )
                })
                .collect();
            if wanted.is_empty() {
                continue;
            }
            let msgs = tokio::task::spawn_blocking(move || {
                let mut out = Vec::new();
                for (id, f) in wanted {
                    match f {
                        None => {
                            if let Ok(head) = api2.head_json(h) {
                                out.push(notification(&id, head));
                            }
                        }
                        Some(f) => {
                            for l in api2.logs_of_block(h, &f).unwrap_or_default() {
                                out.push(notification(&id, l));
                            }
                        }
                    }
                }
                out
            })
            .await
            .unwrap_or_default();
            for m in msgs {
                if tx.send(m).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn notification(id: &str, result: Value) -> String {
    json!({"jsonrpc": "2.0", "method": "eth_subscription", "params": {"subscription": id, "result": result}}).to_string()
}

/// The router: `POST /` for HTTP JSON-RPC, `GET /` for websocket.
pub fn router(api: Arc<EthApi>) -> Router {
    Router::new()
        .route("/", get(ws).post(http))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(api)
}

/// Serves the Ethereum JSON-RPC on `listener` until `shutdown` resolves.
pub async fn serve(
    api: Arc<EthApi>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(api))
        .with_graceful_shutdown(shutdown)
        .await
}
