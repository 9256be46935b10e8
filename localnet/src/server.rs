//! The status server `localnet up` runs: `/` the status page (plain HTML + JS polling
//! `/status`), `/status` the JSON of [`crate::status::Status`], `/metrics` Prometheus text.

use std::{path::PathBuf, sync::Arc};

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};

use crate::{manifest::Manifest, status};

/// The status page.
pub const PAGE: &str = include_str!("page.html");

#[derive(Clone)]
struct Ctx {
    home: Arc<PathBuf>,
}

async fn read_status(ctx: &Ctx) -> Result<status::Status, Response> {
    let m = Manifest::load(&ctx.home)
        .map_err(|e| (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response())?;
    Ok(status::collect(&ctx.home, &m).await)
}

async fn status_json(State(ctx): State<Ctx>) -> Response {
    match read_status(&ctx).await {
        Ok(s) => axum::Json(s).into_response(),
        Err(r) => r,
    }
}

async fn metrics(State(ctx): State<Ctx>) -> Response {
    match read_status(&ctx).await {
        Ok(s) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            status::metrics(&s),
        )
            .into_response(),
        Err(r) => r,
    }
}

/// The router for the localnet in `home`.
pub fn router(home: PathBuf) -> Router {
    Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route("/status", get(status_json))
        .route("/metrics", get(metrics))
        .with_state(Ctx {
            home: Arc::new(home),
        })
}
