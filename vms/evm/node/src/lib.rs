//! The EVM minitia's node: the Ethereum JSON-RPC (HTTP and websocket) served beside the chain
//! node's CometBFT RPC, and the runner that opens an EVM minitia's home and produces blocks.
//!
//! The engine itself ([`minitia_vm_evm`]) sits below the node and knows nothing of it; this
//! crate is what the engine registry (`minitia-engines`) starts as the EVM engine's extra
//! server.

pub mod load;
pub mod node;
pub mod rpc;
