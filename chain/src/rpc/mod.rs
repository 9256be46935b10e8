//! The CometBFT JSON-RPC server (HTTP + websocket) shared by the L1 and every minitia.

pub mod backend;

pub use backend::{flatten_events, CheckTxOutcome, NodeEvent, RpcBackend, RpcError};
