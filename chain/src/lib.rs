//! The Cosmos-compatible chain layer shared by the L1 and every minitia.

pub mod app;
pub mod client;
pub mod node;
pub mod opinit;
pub mod rpc;
