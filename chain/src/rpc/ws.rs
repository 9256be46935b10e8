//! The `/websocket` endpoint: JSON-RPC requests over websocket plus event subscriptions.
//!
//! As in CometBFT, every event matching a subscription is sent as a JSON-RPC success response
//! carrying the `id` of the `subscribe` request and a `ResultEvent`
//! (`{"query","data":{"type":"tendermint/event/Tx","value":{"TxResult":..}},"events":{..}}`).

use std::{collections::BTreeMap, sync::Arc};

use axum::extract::ws::{Message, WebSocket};
use serde_json::{json, Value};
use tendermint_rpc::query::Query;
use tokio::sync::{broadcast::error::RecvError, mpsc};

use super::{
    backend::{flatten_events, NodeEvent, RpcBackend},
    encode,
    jsonrpc::{self, failure, parse_request, success, RpcFail},
    params::Params,
    query_match::matches,
    server::Shared,
};

struct Subscription {
    /// The query string exactly as the client sent it (clients route events by it).
    raw: String,
    query: Query,
    /// The id of the `subscribe` request; events are sent with it.
    id: Value,
}

/// Runs one websocket session until the client leaves or the server shuts down.
pub(crate) async fn session<B: RpcBackend>(s: Arc<Shared<B>>, mut socket: WebSocket) {
    let mut events = s.backend.subscribe();
    let mut subs: Vec<Subscription> = Vec::new();
    let (out_tx, mut out_rx) = mpsc::channel::<Value>(64);
    let mut shutdown = s.shutdown.clone();
    loop {
        tokio::select! {
            _ = async { shutdown.wait_for(|v| *v).await.is_ok() } => {
                let _ = socket.send(Message::Close(None)).await;
                break;
            }
            msg = socket.recv() => {
                let text = match msg {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                    Some(Ok(Message::Text(t))) => t.as_str().to_owned(),
                    Some(Ok(Message::Binary(b))) => String::from_utf8_lossy(&b).into_owned(),
                    Some(Ok(_)) => continue, // ping/pong are answered by the transport
                };
                if let Some(resp) = on_request(&s, &mut subs, &out_tx, &text) {
                    if socket.send(Message::Text(resp.to_string().into())).await.is_err() {
                        break;
                    }
                }
            }
            Some(resp) = out_rx.recv() => {
                if socket.send(Message::Text(resp.to_string().into())).await.is_err() {
                    break;
                }
            }
            ev = events.recv() => {
                match ev {
                    Ok(ev) => {
                        let mut failed = false;
                        for msg in event_messages(&s, &subs, &ev) {
                            if socket.send(Message::Text(msg.to_string().into())).await.is_err() {
                                failed = true;
                                break;
                            }
                        }
                        if failed {
                            break;
                        }
                    }
                    Err(RecvError::Lagged(n)) => {
                        tracing::warn!(skipped = n, "websocket client lagging; events dropped");
                    }
                    Err(RecvError::Closed) => {
                        // The node stopped publishing; keep serving requests.
                        events = tokio::sync::broadcast::channel(1).1;
                    }
                }
            }
        }
    }
}

/// Handles one incoming text frame; returns an immediate response, if any. Non-subscription
/// calls run in a task and answer through `out`.
fn on_request<B: RpcBackend>(
    s: &Arc<Shared<B>>,
    subs: &mut Vec<Subscription>,
    out: &mpsc::Sender<Value>,
    text: &str,
) -> Option<Value> {
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let err = RpcFail::parse_error(format!("error unmarshaling request: {e}"));
            return Some(failure(None, &err));
        }
    };
    let req = match parse_request(v) {
        Ok(r) => r,
        Err((id, e)) => return Some(failure(id.as_ref(), &e)),
    };
    let id = req.id?;
    let params = match Params::from_json(&req.method, req.params) {
        Ok(p) => p,
        Err(e) => return Some(failure(Some(&id), &e)),
    };
    let result = match req.method.as_str() {
        "subscribe" => subscribe(s, subs, &id, &params),
        "unsubscribe" => unsubscribe(subs, &params),
        "unsubscribe_all" => {
            if subs.is_empty() {
                Err(RpcFail::internal("subscription not found"))
            } else {
                subs.clear();
                Ok(json!({}))
            }
        }
        _ => {
            let s = Arc::clone(s);
            let out = out.clone();
            let method = req.method;
            tokio::spawn(async move {
                let resp = match jsonrpc::call(&s.backend, &s.config, &method, &params).await {
                    Ok(r) => success(&id, r),
                    Err(e) => failure(Some(&id), &e),
                };
                let _ = out.send(resp).await;
            });
            return None;
        }
    };
    Some(match result {
        Ok(r) => success(&id, r),
        Err(e) => failure(Some(&id), &e),
    })
}

fn subscribe<B: RpcBackend>(
    s: &Shared<B>,
    subs: &mut Vec<Subscription>,
    id: &Value,
    p: &Params,
) -> Result<Value, RpcFail> {
    let raw = p
        .string("query")?
        .ok_or_else(|| RpcFail::invalid_params("missing query"))?;
    let query: Query = raw.parse().map_err(|e| {
        RpcFail::internal(format!(
            "failed to parse query: {}",
            encode::short_error(&e)
        ))
    })?;
    if subs.len() >= s.config.max_subscriptions_per_client {
        return Err(RpcFail::internal(format!(
            "max_subscriptions_per_client {} reached",
            s.config.max_subscriptions_per_client
        )));
    }
    if subs.iter().any(|x| x.raw == raw) {
        return Err(RpcFail::internal("failed to subscribe: already subscribed"));
    }
    subs.push(Subscription {
        raw,
        query,
        id: id.clone(),
    });
    Ok(json!({}))
}

fn unsubscribe(subs: &mut Vec<Subscription>, p: &Params) -> Result<Value, RpcFail> {
    let raw = p
        .string("query")?
        .ok_or_else(|| RpcFail::invalid_params("missing query"))?;
    let parsed: Option<Query> = raw.parse().ok();
    let before = subs.len();
    subs.retain(|x| x.raw != raw && parsed.as_ref().is_none_or(|q| *q != x.query));
    if subs.len() == before {
        return Err(RpcFail::internal("subscription not found"));
    }
    Ok(json!({}))
}

/// The flattened events CometBFT's pubsub matches a node event against: `tm.event`, plus for
/// txs `tx.hash` (upper-case hex) and `tx.height`, plus every `type.key` of the result's
/// events. Pass the same map to [`query_match::matches`](super::query_match::matches) in
/// `tx_search` so queries behave as they do for subscriptions.
pub fn event_attributes(ev: &NodeEvent) -> BTreeMap<String, Vec<String>> {
    match ev {
        NodeEvent::NewBlock { results, .. } => {
            let mut m = flatten_events(&results.finalize_block_events);
            m.insert("tm.event".into(), vec!["NewBlock".into()]);
            m
        }
        NodeEvent::Tx { tx } => {
            let mut m = flatten_events(&tx.tx_result.events);
            m.insert("tm.event".into(), vec!["Tx".into()]);
            m.insert("tx.hash".into(), vec![encode::hash_hex(&tx.hash)]);
            m.insert("tx.height".into(), vec![tx.height.value().to_string()]);
            m
        }
    }
}

/// The `data` member (`TMEventData`) of a node event.
fn event_data<B: RpcBackend>(s: &Shared<B>, ev: &NodeEvent) -> Result<Value, String> {
    match ev {
        NodeEvent::Tx { tx } => Ok(json!({
            "type": "tendermint/event/Tx",
            "value": {"TxResult": encode::tx_event_result(tx)}
        })),
        NodeEvent::NewBlock { block, results } => {
            let height = block.header.height.value();
            let block_id = match s.backend.block(Some(height)) {
                Ok(r) if r.block.header.hash() == block.header.hash() => {
                    encode::block_id(&r.block_id)?
                }
                _ => json!({
                    "hash": encode::hash_hex(&block.header.hash()),
                    "parts": {"total": 0, "hash": ""}
                }),
            };
            Ok(json!({
                "type": "tendermint/event/NewBlock",
                "value": {
                    "block": encode::block_value(block)?,
                    "block_id": block_id,
                    "result_finalize_block": encode::result_finalize_block(results)?,
                }
            }))
        }
    }
}

/// The messages to send for `ev`, one per matching subscription.
fn event_messages<B: RpcBackend>(
    s: &Shared<B>,
    subs: &[Subscription],
    ev: &NodeEvent,
) -> Vec<Value> {
    if subs.is_empty() {
        return Vec::new();
    }
    let attrs = event_attributes(ev);
    let matching: Vec<&Subscription> = subs.iter().filter(|x| matches(&x.query, &attrs)).collect();
    if matching.is_empty() {
        return Vec::new();
    }
    let data = match event_data(s, ev) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "failed to encode event");
            return Vec::new();
        }
    };
    matching
        .into_iter()
        .map(|sub| {
            success(
                &sub.id,
                json!({"query": sub.raw, "data": data, "events": attrs}),
            )
        })
        .collect()
}
