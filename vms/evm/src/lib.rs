//! The EVM execution engine (revm) for EVM minitias.

pub mod app;
pub mod bridge;
pub mod db;
pub mod engine;
pub mod erc20;
pub mod errors;
pub mod keys;
pub mod receipt;
pub mod trace;
pub mod tx;
pub mod wallet;

pub use app::{AppTx, EvmApp, ENGINE};
pub use engine::{EvmEngine, EvmParams};
pub use tx::EthTx;
