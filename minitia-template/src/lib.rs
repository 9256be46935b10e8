//! The minitia rollup node, generic over execution engine, DA and L1 client.

pub mod batcher;
pub mod bridge;
pub mod challenger;
pub mod config;
pub mod finality;
pub mod follower;
pub mod home;
pub mod recovery;
pub mod run;

/// The TOML crate the config uses (for [`config::set_in_file`]'s values).
pub use toml;

/// A Prometheus text response for a bot's `GET /metrics` (see `minitia_core::metrics`).
pub fn metrics_response(text: String) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [(
            axum::http::header::CONTENT_TYPE,
            minitia_core::metrics::CONTENT_TYPE,
        )],
        text,
    )
        .into_response()
}
