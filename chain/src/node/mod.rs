//! The node: block store, persisted mempool, block producer and the RPC backend, generic over
//! the app ([`ChainApp`]). The L1 and every minitia run this same node with different apps.
//!
//! # Conventions
//! - **App hash**: as in CometBFT, header `N`'s `app_hash` is the state root *after block
//!   `N-1`* (after genesis for block 1); `block_results(N).app_hash` is the root after `N`.
//! - **State versions**: the state store's version `h + 1` holds the state after height `h`
//!   (version 1 = genesis), because the store reserves version 0 for the empty state.
//! - **Crash safety**: a block is produced as (1) execute, (2) store block + results + commit
//!   and drop its txs from the persisted mempool in one redb transaction, (3) commit state.
//!   A crash between (2) and (3) is repaired at start by re-executing the stored block.

pub mod blockstore;
pub mod genesis;
pub mod keys;
pub mod mempool;
mod node;
mod producer;
mod rpc_backend;

pub use node::{Node, NodeError, NodeOptions};

use minitia_core::{
    Address, BlockContext, ExecutionEngine, StateError, StateView, TxError, WriteSet,
};

use crate::app::{QueryError, QueryView};

/// An app the node can run: an execution engine plus queries and genesis.
pub trait ChainApp: ExecutionEngine {
    /// Answers an `abci_query` on a gRPC method path.
    fn query(
        &self,
        view: &dyn QueryView,
        height: u64,
        path: &str,
        data: &[u8],
    ) -> Result<Vec<u8>, QueryError>;
    /// Applies the genesis `app_state`.
    fn init_genesis(
        &self,
        app_state: &serde_json::Value,
        ctx: &BlockContext,
    ) -> Result<WriteSet, TxError>;
    /// The next nonce (account sequence) of `addr` in `state`.
    fn account_nonce(&self, state: &dyn StateView, addr: &Address) -> Result<u64, StateError>;
    /// The raw bytes of a decoded tx (what blocks carry).
    fn tx_bytes(tx: &Self::Tx) -> &[u8];
}

impl ChainApp for crate::app::CosmosApp {
    fn query(
        &self,
        view: &dyn QueryView,
        height: u64,
        path: &str,
        data: &[u8],
    ) -> Result<Vec<u8>, QueryError> {
        crate::app::CosmosApp::query(self, view, height, path, data)
    }

    fn init_genesis(
        &self,
        app_state: &serde_json::Value,
        ctx: &BlockContext,
    ) -> Result<WriteSet, TxError> {
        crate::app::CosmosApp::init_genesis(self, app_state, ctx)
    }

    fn account_nonce(&self, state: &dyn StateView, addr: &Address) -> Result<u64, StateError> {
        use prost::Message;
        Ok(state
            .get(&crate::app::auth::account_key(addr))?
            .and_then(|b| {
                cosmrs::proto::cosmos::auth::v1beta1::BaseAccount::decode(b.as_slice()).ok()
            })
            .map_or(0, |a| a.sequence))
    }

    fn tx_bytes(tx: &crate::app::CosmosTx) -> &[u8] {
        &tx.raw
    }
}
