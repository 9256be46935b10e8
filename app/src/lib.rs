//! The deterministic state machine every node, challenger and fraud-proof judge runs: tx
//! decoding and ante checks, `x/auth`, `x/bank`, OPinit's `opchild` bridge module, the
//! module and query routers, gas, genesis and the block prelude. [`CosmosApp`] is an
//! [`minitia_core::ExecutionEngine`].
//!
//! No IO lives here: no async runtime, no network, no database (`cargo tree -e normal -p
//! minitia-app` shows none). State is read and written only through
//! [`minitia_core::StateView`], and time comes from the block header (or, for simulations,
//! a [`clock::Clock`] the node hands in), so the same code runs on the live store and on a
//! fraud proof's witness.

pub mod auth;
pub mod bank;
pub mod clock;
pub mod coin;
pub mod config;
pub mod ctx;
mod engine;
pub mod errors;
pub mod gas;
pub mod genesis;
pub mod module;
pub mod opchild;
pub mod opinit;
mod sigverify;
pub mod tx;

pub use coin::Coin;
pub use config::{AppConfig, DecAmount};
/// The protobuf `Any` messages arrive in (re-exported so modules need not name cosmrs).
pub use cosmrs::Any;
pub use engine::{CosmosApp, BLOCK_HASH_PREFIX, FEE_COLLECTOR};
pub use module::{GrpcCode, Module, QueryCtx, QueryError, QueryView};
pub use tx::CosmosTx;

use std::sync::Arc;

use minitia_core::{
    Address, BlockContext, ExecutionEngine, StateError, StateView, TxError, WriteSet,
};

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

impl ChainApp for crate::CosmosApp {
    fn query(
        &self,
        view: &dyn QueryView,
        height: u64,
        path: &str,
        data: &[u8],
    ) -> Result<Vec<u8>, QueryError> {
        crate::CosmosApp::query(self, view, height, path, data)
    }

    fn init_genesis(
        &self,
        app_state: &serde_json::Value,
        ctx: &BlockContext,
    ) -> Result<WriteSet, TxError> {
        crate::CosmosApp::init_genesis(self, app_state, ctx)
    }

    fn account_nonce(&self, state: &dyn StateView, addr: &Address) -> Result<u64, StateError> {
        Ok(crate::auth::stored_sequence(state, addr)?.unwrap_or(0))
    }

    fn tx_bytes(tx: &crate::CosmosTx) -> &[u8] {
        &tx.raw
    }
}

/// The app of a Cosmos-engine minitia, sequencer, follower and fraud-proof judge alike:
/// bank, auth, the bridge's [`opchild`] module and `extra_modules` (a VM's module, a team's
/// own modules).
pub fn minitia_cosmos_app(config: AppConfig, extra_modules: Vec<Arc<dyn Module>>) -> CosmosApp {
    let mut modules: Vec<Arc<dyn Module>> = vec![Arc::new(opchild::OpchildModule)];
    modules.extend(extra_modules);
    CosmosApp::new(config, modules)
}

/// What a minitia's native (fee) token is, an engine's rule for its genesis fee denom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NativeToken {
    /// Any denom the chain chooses (`umin`), minted at genesis.
    Own,
    /// The L1's fee token bridged over the minitia's own bridge (`l2/<hash>`), so the
    /// engine's native balance (the EVM's) is backed one to one by the L1 escrow.
    BridgedL1FeeToken,
}

/// Everything about an execution engine that the rest of the SDK needs below the node: its
/// names and how to build its app. Each engine crate exposes one of these (`ENGINE`); the
/// registry in `minitia-engines` adds what runs beside the node (the EVM JSON-RPC) and is the
/// only place that chooses an engine by name.
#[derive(Debug)]
pub struct EngineDef<A> {
    /// The name genesis uses (`app_state.minitia.vm`): `none`, `evm`, `move`.
    pub vm: &'static str,
    /// The engine kind a bridge registers in its metadata (`minitia_engine.kind`), which the
    /// L1's fraud-proof judge looks up: `minitia-cosmos`, `minitia-evm`, `minitia-move`.
    pub kind: &'static str,
    /// One line for users.
    pub about: &'static str,
    /// The engine's rule for the fee denom.
    pub native_token: NativeToken,
    /// Builds the app every node of such a minitia runs (sequencer, follower, challenger and
    /// the L1's judge): the engine over [`minitia_cosmos_app`]'s modules plus `extra_modules`
    /// (a team's own; see the crate `minitia-engines` for what they mean for fraud proofs).
    pub build: fn(AppConfig, Vec<Arc<dyn Module>>) -> A,
}

fn build_cosmos(config: AppConfig, extra_modules: Vec<Arc<dyn Module>>) -> CosmosApp {
    minitia_cosmos_app(config, extra_modules)
}

/// The plain Cosmos minitia (`vm = "none"`): bank, auth and the bridge's `opchild` module,
/// no VM. The base a team adds its own modules to.
pub const COSMOS_ENGINE: EngineDef<CosmosApp> = EngineDef {
    vm: "none",
    kind: "minitia-cosmos",
    about: "plain Cosmos minitia: bank, auth and the OPinit bridge module, no VM",
    native_token: NativeToken::Own,
    build: build_cosmos,
};
