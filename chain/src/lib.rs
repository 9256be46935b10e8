//! The Cosmos-compatible chain layer shared by the L1 and every minitia.

/// The app layer, re-exported: the node runs [`minitia_app`]'s state machine.
pub use minitia_app as app;
pub mod client;
pub mod node;
pub use minitia_app::opinit;
pub mod rpc;
