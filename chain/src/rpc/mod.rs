//! The CometBFT JSON-RPC server (HTTP + websocket) shared by the L1 and every minitia.
//!
//! [`serve`] fronts any [`RpcBackend`] with CometBFT v0.38's RPC: JSON-RPC 2.0 on `POST /`
//! (single and batch), URI-style `GET /<method>?..`, and `/websocket` with event
//! subscriptions filtered by [`query_match::matches`]. Results are encoded exactly as
//! CometBFT v0.38 emits them (see [`encode`](self::encode)), so CosmJS' `Comet38Client` and
//! tendermint-rs' clients in `CompatMode::V0_38` parse them unmodified.

pub mod backend;
mod encode;
mod jsonrpc;
mod params;
pub mod query_match;
mod server;
mod ws;

pub use backend::{flatten_events, CheckTxOutcome, NodeEvent, RpcBackend, RpcError};
pub use jsonrpc::{RpcConfig, RpcFail};
pub use server::{router, serve, serve_with_config};
pub use ws::event_attributes;
