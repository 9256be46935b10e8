//! The HTTP side of the server: JSON-RPC over `POST /`, URI-style `GET /<method>?..`, and the
//! `/websocket` upgrade, served with axum.

use std::{future::Future, sync::Arc};

use axum::{
    body::Bytes,
    extract::{ws::WebSocketUpgrade, DefaultBodyLimit, Path, Query as UriQuery, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use serde_json::Value;
use tokio::{net::TcpListener, sync::watch};

use super::{
    backend::RpcBackend,
    jsonrpc::{self, failure, is_ws_only, parse_request, success, RpcConfig, RpcFail},
    params::Params,
    ws,
};

/// State shared by all handlers.
pub(crate) struct Shared<B> {
    pub backend: Arc<B>,
    pub config: RpcConfig,
    /// Flips to `true` on shutdown; websocket sessions close on it.
    pub shutdown: watch::Receiver<bool>,
}

/// Serves the CometBFT v0.38 JSON-RPC API of `backend` on `listener` until `shutdown`
/// resolves, with [`RpcConfig::default`].
///
/// Routes: `POST /` (JSON-RPC 2.0, single or batch), `GET /<method>?<params>` (CometBFT's URI
/// form, e.g. `/block?height=3`, `/abci_query?path="/x"&data=0xabcd`), `GET /websocket`
/// (JSON-RPC over websocket, including `subscribe`/`unsubscribe`/`unsubscribe_all`).
/// On shutdown, open websocket sessions are closed and in-flight HTTP requests finish.
pub async fn serve<B: RpcBackend>(
    backend: Arc<B>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with_config(backend, listener, RpcConfig::default(), shutdown).await
}

/// [`serve`] with explicit [`RpcConfig`].
pub async fn serve_with_config<B: RpcBackend>(
    backend: Arc<B>,
    listener: TcpListener,
    config: RpcConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (tx, rx) = watch::channel(false);
    let app = router(backend, config, rx.clone());
    let mut done = rx;
    tokio::spawn(async move {
        shutdown.await;
        let _ = tx.send(true);
        // Keep the sender alive until everyone has seen the flag.
        tx.closed().await;
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = done.wait_for(|v| *v).await;
        })
        .await
}

/// The axum router of the server, for embedding into a larger app. Websocket sessions close
/// when `shutdown` becomes `true`.
pub fn router<B: RpcBackend>(
    backend: Arc<B>,
    config: RpcConfig,
    shutdown: watch::Receiver<bool>,
) -> Router {
    let limit = config.max_body_bytes;
    let shared = Arc::new(Shared {
        backend,
        config,
        shutdown,
    });
    Router::new()
        .route("/", post(post_handler::<B>).get(index))
        .route("/websocket", get(ws_handler::<B>))
        .route("/metrics", get(metrics_handler::<B>))
        .route("/{method}", get(uri_handler::<B>))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(shared)
}

fn json_response(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

/// Prometheus metrics of the node (not a CometBFT method: CometBFT serves them on a separate
/// port; here they share the RPC listener).
async fn metrics_handler<B: RpcBackend>(State(s): State<Arc<Shared<B>>>) -> Response {
    let backend = s.backend.clone();
    match tokio::task::spawn_blocking(move || backend.metrics()).await {
        Ok(text) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, minitia_core::metrics::CONTENT_TYPE)],
            text,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn index() -> Response {
    let methods = [
        "abci_info",
        "abci_query?path=_&data=_&height=_&prove=_",
        "block?height=_",
        "block_by_hash?hash=_",
        "block_results?height=_",
        "blockchain?minHeight=_&maxHeight=_",
        "broadcast_tx_async?tx=_",
        "broadcast_tx_commit?tx=_",
        "broadcast_tx_sync?tx=_",
        "commit?height=_",
        "genesis",
        "genesis_chunked?chunk=_",
        "header?height=_",
        "header_by_hash?hash=_",
        "health",
        "status",
        "tx?hash=_&prove=_",
        "tx_search?query=_&prove=_&page=_&per_page=_&order_by=_",
        "validators?height=_&page=_&per_page=_",
    ];
    let mut body = String::from("<html><body><br>Available endpoints:<br>");
    for m in methods {
        body.push_str(&format!("<a href=\"/{m}\">/{m}</a><br>"));
    }
    body.push_str("</body></html>");
    ([(header::CONTENT_TYPE, "text/html")], body).into_response()
}

/// Handles one request object; `None` for notifications.
pub(crate) async fn handle_one<B: RpcBackend>(s: &Shared<B>, v: Value) -> Option<Value> {
    let req = match parse_request(v) {
        Ok(r) => r,
        Err((id, e)) => return Some(failure(id.as_ref(), &e)),
    };
    let id = req.id?;
    if is_ws_only(&req.method) {
        return Some(failure(Some(&id), &RpcFail::method_not_found()));
    }
    let result = match Params::from_json(&req.method, req.params) {
        Ok(p) => jsonrpc::call(&s.backend, &s.config, &req.method, &p).await,
        Err(e) => Err(e),
    };
    Some(match result {
        Ok(r) => success(&id, r),
        Err(e) => failure(Some(&id), &e),
    })
}

async fn post_handler<B: RpcBackend>(State(s): State<Arc<Shared<B>>>, body: Bytes) -> Response {
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            let err = RpcFail::parse_error(format!("error unmarshaling request: {e}"));
            return json_response(StatusCode::INTERNAL_SERVER_ERROR, &failure(None, &err));
        }
    };
    match v {
        Value::Array(reqs) => {
            if reqs.is_empty() {
                let err = RpcFail::invalid_request("empty batch");
                return json_response(StatusCode::OK, &failure(None, &err));
            }
            let mut out = Vec::with_capacity(reqs.len());
            for r in reqs {
                if let Some(resp) = handle_one(&s, r).await {
                    out.push(resp);
                }
            }
            if out.is_empty() {
                return StatusCode::OK.into_response();
            }
            json_response(StatusCode::OK, &Value::Array(out))
        }
        single => match handle_one(&s, single).await {
            Some(resp) => json_response(StatusCode::OK, &resp),
            None => StatusCode::OK.into_response(),
        },
    }
}

async fn uri_handler<B: RpcBackend>(
    State(s): State<Arc<Shared<B>>>,
    Path(method): Path<String>,
    UriQuery(pairs): UriQuery<Vec<(String, String)>>,
) -> Response {
    // CometBFT answers URI requests with JSON-RPC id -1.
    let id = Value::from(-1);
    if is_ws_only(&method) {
        return json_response(
            StatusCode::NOT_FOUND,
            &failure(Some(&id), &RpcFail::method_not_found()),
        );
    }
    let p = Params::from_uri(pairs);
    match jsonrpc::call(&s.backend, &s.config, &method, &p).await {
        Ok(r) => json_response(StatusCode::OK, &success(&id, r)),
        Err(e) if e.code == -32601 => json_response(StatusCode::NOT_FOUND, &failure(Some(&id), &e)),
        Err(e) => json_response(StatusCode::INTERNAL_SERVER_ERROR, &failure(Some(&id), &e)),
    }
}

async fn ws_handler<B: RpcBackend>(
    State(s): State<Arc<Shared<B>>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade.on_upgrade(move |socket| ws::session(s, socket))
}
