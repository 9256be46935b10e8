//! The Cosmos app layer: tx decoding and ante checks, `x/auth`, `x/bank`, the module and
//! query routers. [`CosmosApp`] is an [`minitia_core::ExecutionEngine`].

pub mod auth;
pub mod bank;
pub mod coin;
pub mod config;
pub mod ctx;
mod engine;
pub mod errors;
pub mod gas;
pub mod module;
mod sigverify;
pub mod tx;

pub use coin::Coin;
pub use config::{AppConfig, DecAmount};
pub use engine::{CosmosApp, BLOCK_HASH_PREFIX, FEE_COLLECTOR};
pub use module::{GrpcCode, Module, QueryCtx, QueryError, QueryView};
pub use tx::CosmosTx;
