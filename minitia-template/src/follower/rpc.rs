//! The follower's RPC: the node's CometBFT RPC (read-only: `broadcast_tx_*` answer the
//! follower's read-only error) plus `GET /follower_status`.

use std::{future::Future, sync::Arc};

use axum::{routing::get, Json, Router};
use minitia_chain::{
    node::{ChainApp, Node},
    rpc::RpcConfig,
};
use tokio::net::TcpListener;

use super::{lock, SharedStatus};

/// The CometBFT RPC router of `node` with `GET /follower_status` added.
pub fn router<A: ChainApp>(
    node: Arc<Node<A>>,
    status: SharedStatus,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> Router {
    let node_for_status = node.clone();
    minitia_chain::rpc::router(node, RpcConfig::default(), shutdown).route(
        "/follower_status",
        get(move || {
            let status = status.clone();
            let node = node_for_status.clone();
            async move {
                let mut s = lock(&status).clone();
                s.height = node.height();
                if s.last_error.is_none() {
                    s.last_error = node.follow_error();
                }
                Json(s)
            }
        }),
    )
}

/// Serves [`router`] on `listener` until `shutdown` resolves.
pub async fn serve_rpc<A: ChainApp>(
    node: Arc<Node<A>>,
    status: SharedStatus,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let app = router(node, status, rx.clone());
    let mut done = rx;
    tokio::spawn(async move {
        shutdown.await;
        let _ = tx.send(true);
        tx.closed().await;
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = done.wait_for(|v| *v).await;
        })
        .await
}
