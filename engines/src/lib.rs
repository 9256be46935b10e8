//! The engine registry: the one place that turns an engine's name into the engine, for every
//! process that runs one — `minitia start` (sequencer and follower), `minitia challenger`,
//! `minitia rollback`, `minitia new`, the localnet, and the settlement L1's fraud-proof judge.
//!
//! Each engine crate exposes one [`EngineDef`] (`minitia_vm_evm::ENGINE`,
//! `minitia_vm_move::ENGINE`, [`minitia_app::COSMOS_ENGINE`]): its names, its native-token
//! rule and how to build its app. This crate adds what runs beside the node (the EVM's
//! Ethereum JSON-RPC) and erases the app type behind [`Engine`], so no code outside this crate
//! matches a VM name. Adding an engine is one crate and one line in [`registry`].
//!
//! | genesis `app_state.minitia.vm` | bridge `minitia_engine.kind` | engine |
//! |---|---|---|
//! | `none` | `minitia-cosmos` | plain Cosmos minitia: bank, auth, OPinit's `opchild`, no VM |
//! | `evm` | `minitia-evm` | revm over the same modules, with an Ethereum JSON-RPC |
//! | `move` | `minitia-move` | the same modules and the Move VM |
//! | `wasm` | — | not built yet: every use fails with [`EngineError::NotBuilt`] |
//!
//! A fraud proof is decided by re-executing the disputed block with the minitia's own engine,
//! so the L1's judge must build exactly the app the sequencer runs: both come from the same
//! [`EngineDef::build`]. A chain that adds its own modules ([`Engine::with_modules`], as a
//! `minitia new` crate does) runs an app no L1 registry knows; it is not [`Engine::judgeable`]
//! and its bridge must be a permissioned one.

use std::{future::Future, net::SocketAddr, path::Path, pin::Pin, sync::Arc};

use minitia_app::{AppConfig, ChainApp, EngineDef, Module, NativeToken};
use minitia_fraud_proofs::{
    EngineRegistry, EngineSpec, EngineVerifier, ProofVerifier, RegistryError,
};
use minitia_template::{
    challenger::ChallengerOptions,
    config::NodeConfig,
    recovery::HomeRollback,
    run::{ExtraServers, RunError},
};
use minitia_vm_evm::EvmApp;

/// A boxed future, as the type-erased [`Engine`] returns them.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A shutdown signal handed to a long-running process.
pub type Shutdown = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Why an engine cannot be had or run.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// No engine has that name.
    #[error("unknown vm {vm:?}: this build knows {known}")]
    Unknown {
        /// The name asked for.
        vm: String,
        /// The names it knows, for the message.
        known: String,
    },
    /// The engine is named but not built into this SDK yet.
    #[error("vm {vm:?}: {reason}")]
    NotBuilt {
        /// The engine's name.
        vm: &'static str,
        /// What is missing and what to use meanwhile.
        reason: &'static str,
    },
    /// The engine cannot do this (e.g. the L1 cannot judge a chain with custom modules).
    #[error("vm {vm:?}: {reason}")]
    Unsupported {
        /// The engine's name.
        vm: &'static str,
        /// Why.
        reason: String,
    },
    /// The node or process failed.
    #[error(transparent)]
    Run(#[from] RunError),
}

/// How `minitia start` runs a node.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// Derive the chain from the L1 and DA instead of producing blocks.
    pub follow: bool,
    /// Where an engine with an Ethereum JSON-RPC serves it.
    pub json_rpc: SocketAddr,
    /// Dev chains only: apply a wrong state transition at this height (for exercising
    /// challengers).
    pub fault_wrong_state_at: Option<u64>,
}

impl Default for StartOptions {
    fn default() -> Self {
        Self {
            follow: false,
            json_rpc: ([127, 0, 0, 1], 8545).into(),
            fault_wrong_state_at: None,
        }
    }
}

/// How `minitia challenger` runs.
pub struct ChallengeOptions {
    /// The bonded key proofs are signed with; `None` watches only.
    pub key: Option<cosmrs::crypto::secp256k1::SigningKey>,
    /// Where the status page listens.
    pub status: tokio::net::TcpListener,
    /// Tuning.
    pub tuning: ChallengerOptions,
}

impl std::fmt::Debug for ChallengeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChallengeOptions")
            .field("signs", &self.key.is_some())
            .field("status", &self.status.local_addr().ok())
            .field("tuning", &self.tuning)
            .finish()
    }
}

/// An execution engine with its app type erased: what every process that runs a minitia asks
/// of it. Get one from [`Registry::engine`].
pub trait Engine: Send + Sync {
    /// The name genesis uses (`app_state.minitia.vm`).
    fn vm(&self) -> &'static str;
    /// The engine kind a bridge registers for the L1's judge.
    fn kind(&self) -> &'static str;
    /// One line for users.
    fn about(&self) -> &'static str;
    /// Whether this SDK can run it.
    fn available(&self) -> Result<(), EngineError>;
    /// The engine's rule for the chain's fee denom.
    fn native_token(&self) -> NativeToken;
    /// Whether it serves an Ethereum JSON-RPC beside the CometBFT RPC.
    fn serves_json_rpc(&self) -> bool;
    /// Whether an L1 built from [`registry`] can judge this chain's fraud proofs: false once
    /// custom modules are added, since the L1 would re-execute without them.
    fn judgeable(&self) -> bool;
    /// The same engine with a team's own modules added after its own.
    fn with_modules(&self, modules: Vec<Arc<dyn Module>>) -> Box<dyn Engine>;
    /// Runs the node of `home` (sequencer, or follower with [`StartOptions::follow`]) until
    /// `shutdown` resolves.
    fn start<'a>(
        &'a self,
        home: &'a Path,
        config: &'a NodeConfig,
        opts: StartOptions,
        shutdown: Shutdown,
    ) -> BoxFuture<'a, Result<(), EngineError>>;
    /// Runs the challenger of `home` until `shutdown` resolves.
    fn challenge<'a>(
        &'a self,
        home: &'a Path,
        config: &'a NodeConfig,
        opts: ChallengeOptions,
        shutdown: Shutdown,
    ) -> BoxFuture<'a, Result<(), EngineError>>;
    /// Rolls the stopped home back to height `to` (see `minitia_template::recovery`).
    fn rollback(
        &self,
        home: &Path,
        config: &NodeConfig,
        to: u64,
    ) -> Result<HomeRollback, EngineError>;
    /// The fraud-proof verifier for a bridge registering `spec`.
    fn verifier(&self, spec: &EngineSpec) -> Result<Box<dyn ProofVerifier>, EngineError>;
}

/// What an engine runs beside the node's CometBFT RPC.
trait Servers<A: ChainApp>: Send + Sync + 'static {
    fn json_rpc(&self) -> bool;
    fn start<'a>(
        &'a self,
        config: &'a NodeConfig,
        opts: &'a StartOptions,
    ) -> BoxFuture<'a, Result<Box<dyn ExtraServers<A>>, RunError>>;
}

/// Nothing beside the CometBFT RPC.
struct NoServers;

impl<A: ChainApp> Servers<A> for NoServers {
    fn json_rpc(&self) -> bool {
        false
    }
    fn start<'a>(
        &'a self,
        _: &'a NodeConfig,
        _: &'a StartOptions,
    ) -> BoxFuture<'a, Result<Box<dyn ExtraServers<A>>, RunError>> {
        Box::pin(async { Ok(Box::new(minitia_template::run::no_extra_servers) as Box<_>) })
    }
}

/// The EVM's Ethereum JSON-RPC ([`minitia_evm_node::node::json_rpc`]).
struct EthJsonRpc;

impl Servers<EvmApp> for EthJsonRpc {
    fn json_rpc(&self) -> bool {
        true
    }
    fn start<'a>(
        &'a self,
        config: &'a NodeConfig,
        opts: &'a StartOptions,
    ) -> BoxFuture<'a, Result<Box<dyn ExtraServers<EvmApp>>, RunError>> {
        Box::pin(async move {
            let s = minitia_evm_node::node::json_rpc(opts.json_rpc, config).await?;
            Ok(Box::new(s) as Box<dyn ExtraServers<EvmApp>>)
        })
    }
}

/// An engine of this build: its definition, its servers and any custom modules.
struct Built<A: ChainApp> {
    def: &'static EngineDef<A>,
    servers: Arc<dyn Servers<A>>,
    modules: Vec<Arc<dyn Module>>,
}

impl<A: ChainApp> Built<A> {
    fn new(def: &'static EngineDef<A>, servers: impl Servers<A>) -> Self {
        Self {
            def,
            servers: Arc::new(servers),
            modules: Vec::new(),
        }
    }

    fn make_app(&self) -> impl Fn(AppConfig) -> A + Clone + Send + Sync + 'static {
        let build = self.def.build;
        let modules = self.modules.clone();
        move |c| build(c, modules.clone())
    }
}

impl<A: ChainApp> Engine for Built<A> {
    fn vm(&self) -> &'static str {
        self.def.vm
    }
    fn kind(&self) -> &'static str {
        self.def.kind
    }
    fn about(&self) -> &'static str {
        self.def.about
    }
    fn available(&self) -> Result<(), EngineError> {
        Ok(())
    }
    fn native_token(&self) -> NativeToken {
        self.def.native_token
    }
    fn serves_json_rpc(&self) -> bool {
        self.servers.json_rpc()
    }
    fn judgeable(&self) -> bool {
        self.modules.is_empty()
    }

    fn with_modules(&self, modules: Vec<Arc<dyn Module>>) -> Box<dyn Engine> {
        let mut all = self.modules.clone();
        all.extend(modules);
        Box::new(Built {
            def: self.def,
            servers: self.servers.clone(),
            modules: all,
        })
    }

    fn start<'a>(
        &'a self,
        home: &'a Path,
        config: &'a NodeConfig,
        opts: StartOptions,
        shutdown: Shutdown,
    ) -> BoxFuture<'a, Result<(), EngineError>> {
        Box::pin(async move {
            if opts.follow && opts.fault_wrong_state_at.is_some() {
                return Err(EngineError::Unsupported {
                    vm: self.def.vm,
                    reason: "--fault.wrong-state-at applies to the sequencer; a follower (--follow) produces no blocks".into(),
                });
            }
            let servers = self.servers.start(config, &opts).await?;
            let make_app = self.make_app();
            if opts.follow {
                minitia_template::follower::run_follower_home(
                    home, config, make_app, servers, shutdown,
                )
                .await?;
            } else {
                minitia_template::run::run_sequencer(
                    home,
                    config,
                    make_app,
                    servers,
                    opts.fault_wrong_state_at,
                    shutdown,
                )
                .await?;
            }
            Ok(())
        })
    }

    fn challenge<'a>(
        &'a self,
        home: &'a Path,
        config: &'a NodeConfig,
        opts: ChallengeOptions,
        shutdown: Shutdown,
    ) -> BoxFuture<'a, Result<(), EngineError>> {
        Box::pin(async move {
            minitia_template::challenger::run_challenger_with(
                home,
                config,
                self.make_app(),
                opts.key,
                opts.status,
                opts.tuning,
                shutdown,
            )
            .await?;
            Ok(())
        })
    }

    fn rollback(
        &self,
        home: &Path,
        config: &NodeConfig,
        to: u64,
    ) -> Result<HomeRollback, EngineError> {
        let (app_config, _) = minitia_template::run::node_options(home, config)?;
        let app = (self.make_app())(app_config);
        minitia_template::recovery::rollback_home(home, config, &app, to).map_err(|reason| {
            EngineError::Unsupported {
                vm: self.def.vm,
                reason: format!("rollback refused: {reason}"),
            }
        })
    }

    fn verifier(&self, spec: &EngineSpec) -> Result<Box<dyn ProofVerifier>, EngineError> {
        if !self.judgeable() {
            return Err(EngineError::Unsupported {
                vm: self.def.vm,
                reason:
                    "a chain with custom modules cannot be judged by an L1 that does not run them"
                        .into(),
            });
        }
        let config = spec
            .app_config()
            .map_err(|reason| EngineError::Unsupported {
                vm: self.def.vm,
                reason,
            })?;
        Ok(Box::new(EngineVerifier((self.make_app())(config))))
    }
}

/// An engine that is named but not built yet: every use fails with a clear error.
struct NotBuilt {
    vm: &'static str,
    reason: &'static str,
}

impl NotBuilt {
    fn err(&self) -> EngineError {
        EngineError::NotBuilt {
            vm: self.vm,
            reason: self.reason,
        }
    }
}

impl Engine for NotBuilt {
    fn vm(&self) -> &'static str {
        self.vm
    }
    fn kind(&self) -> &'static str {
        ""
    }
    fn about(&self) -> &'static str {
        self.reason
    }
    fn available(&self) -> Result<(), EngineError> {
        Err(self.err())
    }
    fn native_token(&self) -> NativeToken {
        NativeToken::Own
    }
    fn serves_json_rpc(&self) -> bool {
        false
    }
    fn judgeable(&self) -> bool {
        false
    }
    fn with_modules(&self, _: Vec<Arc<dyn Module>>) -> Box<dyn Engine> {
        Box::new(NotBuilt {
            vm: self.vm,
            reason: self.reason,
        })
    }
    fn start<'a>(
        &'a self,
        _: &'a Path,
        _: &'a NodeConfig,
        _: StartOptions,
        _: Shutdown,
    ) -> BoxFuture<'a, Result<(), EngineError>> {
        Box::pin(async move { Err(self.err()) })
    }
    fn challenge<'a>(
        &'a self,
        _: &'a Path,
        _: &'a NodeConfig,
        _: ChallengeOptions,
        _: Shutdown,
    ) -> BoxFuture<'a, Result<(), EngineError>> {
        Box::pin(async move { Err(self.err()) })
    }
    fn rollback(&self, _: &Path, _: &NodeConfig, _: u64) -> Result<HomeRollback, EngineError> {
        Err(self.err())
    }
    fn verifier(&self, _: &EngineSpec) -> Result<Box<dyn ProofVerifier>, EngineError> {
        Err(self.err())
    }
}

/// The engines of this build, by name.
pub struct Registry {
    engines: Vec<Box<dyn Engine>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.engines.iter().map(|e| e.vm()))
            .finish()
    }
}

/// The VM a genesis names when it names none: the plain Cosmos minitia.
pub const DEFAULT_GENESIS_VM: &str = "none";

/// Every engine of this build. The one list: add a line here to add an engine.
pub fn registry() -> Registry {
    Registry {
        engines: vec![
            Box::new(Built::new(&minitia_app::COSMOS_ENGINE, NoServers)),
            Box::new(Built::new(&minitia_vm_evm::ENGINE, EthJsonRpc)),
            Box::new(Built::new(&minitia_vm_move::ENGINE, NoServers)),
            Box::new(NotBuilt {
                vm: "wasm",
                reason: "the Wasm engine (cosmwasm-vm) is not built into this SDK yet; use \"evm\" or \"move\"",
            }),
        ],
    }
}

impl Registry {
    /// The engine named `vm` (as genesis or `--vm` spells it, any case).
    pub fn engine(&self, vm: &str) -> Result<&dyn Engine, EngineError> {
        let want = vm.trim().to_ascii_lowercase();
        self.engines
            .iter()
            .find(|e| e.vm() == want)
            .map(|e| e.as_ref())
            .ok_or_else(|| EngineError::Unknown {
                vm: vm.to_string(),
                known: self.names().join(", "),
            })
    }

    /// The engine a genesis document names (`app_state.minitia.vm`, [`DEFAULT_GENESIS_VM`]
    /// when absent).
    pub fn for_genesis(&self, genesis: &serde_json::Value) -> Result<&dyn Engine, EngineError> {
        let vm = genesis["app_state"]["minitia"]["vm"]
            .as_str()
            .unwrap_or(DEFAULT_GENESIS_VM);
        self.engine(vm)
    }

    /// The engine the genesis of `home` names.
    pub fn for_home(&self, home: &Path, config: &NodeConfig) -> Result<&dyn Engine, EngineError> {
        let genesis = minitia_template::run::read_genesis_json(home, config)?;
        self.for_genesis(&genesis)
    }

    /// The engine registered under bridge kind `kind`.
    pub fn by_kind(&self, kind: &str) -> Option<&dyn Engine> {
        self.engines
            .iter()
            .find(|e| !e.kind().is_empty() && e.kind() == kind)
            .map(|e| e.as_ref())
    }

    /// Every engine's name.
    pub fn names(&self) -> Vec<&'static str> {
        self.engines.iter().map(|e| e.vm()).collect()
    }

    /// Every engine.
    pub fn engines(&self) -> impl Iterator<Item = &dyn Engine> {
        self.engines.iter().map(|e| e.as_ref())
    }
}

/// The L1's judge: the engine a bridge's metadata names builds the verifier.
impl EngineRegistry for Registry {
    fn verifier(&self, spec: &EngineSpec) -> Result<Box<dyn ProofVerifier>, RegistryError> {
        let engine = self
            .by_kind(&spec.kind)
            .ok_or_else(|| RegistryError::UnknownKind {
                kind: spec.kind.clone(),
                known: self
                    .engines
                    .iter()
                    .filter(|e| e.judgeable())
                    .map(|e| e.kind().to_string())
                    .collect(),
            })?;
        engine.verifier(spec).map_err(|e| RegistryError::Unusable {
            kind: spec.kind.clone(),
            reason: e.to_string(),
        })
    }
}

/// For clap: a VM name this build knows (returned as spelled in genesis).
pub fn parse_vm(s: &str) -> Result<String, String> {
    registry()
        .engine(s)
        .map(|e| e.vm().to_string())
        .map_err(|e| e.to_string())
}

/// The app of an engine by its definition, for tests and tools that need the concrete type
/// (the benches, the fraud-proof examples): `app(&minitia_vm_evm::ENGINE, config)`.
pub fn app<A: ChainApp>(def: &EngineDef<A>, config: AppConfig) -> A {
    (def.build)(config, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: &str) -> EngineSpec {
        serde_json::from_value(serde_json::json!({
            "kind": kind,
            "chain_id": "mini-1",
            "chain": {"bech32_prefix": "init", "fee_denom": "umin"}
        }))
        .unwrap()
    }

    #[test]
    fn every_built_engine_is_judged_by_its_kind() {
        let reg = registry();
        for e in reg.engines().filter(|e| e.available().is_ok()) {
            assert!(e.judgeable(), "{}", e.vm());
            assert_eq!(reg.by_kind(e.kind()).unwrap().vm(), e.vm());
            assert!(reg.verifier(&spec(e.kind())).is_ok(), "{}", e.kind());
        }
        assert_eq!(reg.names(), ["none", "evm", "move", "wasm"]);
    }

    #[test]
    fn names_resolve_in_any_case_and_unknown_ones_are_refused() {
        let reg = registry();
        assert_eq!(reg.engine("EVM").unwrap().vm(), "evm");
        let e = reg.engine("solana").err().unwrap().to_string();
        assert_eq!(
            e,
            "unknown vm \"solana\": this build knows none, evm, move, wasm"
        );
        assert_eq!(parse_vm("Move").unwrap(), "move");
        assert_eq!(
            reg.for_genesis(&serde_json::json!({"app_state": {}}))
                .unwrap()
                .vm(),
            "none"
        );
    }

    #[test]
    fn wasm_is_named_but_refuses_every_use_with_the_reason() {
        let reg = registry();
        let wasm = reg.engine("wasm").unwrap();
        let e = wasm.available().unwrap_err().to_string();
        assert!(e.contains("Wasm engine (cosmwasm-vm) is not built"), "{e}");
        let cfg = NodeConfig::default();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let e = rt
            .block_on(wasm.start(
                Path::new("/nonexistent"),
                &cfg,
                StartOptions::default(),
                Box::pin(async {}),
            ))
            .unwrap_err();
        assert!(matches!(e, EngineError::NotBuilt { vm: "wasm", .. }), "{e}");
        assert!(reg.by_kind("").is_none());
        assert!(reg.verifier(&spec("minitia-wasm")).is_err());
    }

    #[test]
    fn the_bank_only_test_kind_is_not_judged_by_the_product_registry() {
        let e = registry().verifier(&spec("cosmos")).err().unwrap();
        assert!(matches!(e, RegistryError::UnknownKind { .. }), "{e}");
        assert!(e.to_string().contains("not known to this L1"), "{e}");
    }

    #[test]
    fn custom_modules_make_an_engine_unjudgeable() {
        let reg = registry();
        let move_ = reg.engine("move").unwrap();
        let custom = move_.with_modules(vec![Arc::new(minitia_app::opchild::OpchildModule)]);
        assert!(!custom.judgeable());
        assert!(custom.verifier(&spec("minitia-move")).is_err());
        assert_eq!(custom.vm(), "move");
        assert!(reg.engine("evm").unwrap().serves_json_rpc());
        assert!(!move_.serves_json_rpc());
        assert_eq!(
            reg.engine("evm").unwrap().native_token(),
            NativeToken::BridgedL1FeeToken
        );
    }
}
