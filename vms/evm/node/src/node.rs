//! Running an EVM minitia node from a home directory (as `minitia new --vm evm` lays it out):
//! the chain node with its CometBFT RPC, the Ethereum JSON-RPC beside it, and the producer.

use std::{future::Future, net::SocketAddr, path::Path, sync::Arc, time::Duration};

use minitia_chain::{
    app::AppConfig,
    node::{genesis::GenesisDoc, keys::ValidatorKey, Node},
};
use minitia_template::{
    config::NodeConfig,
    run::{ExtraServers, RunError, StopSignal},
};

use crate::rpc::EthApi;
use minitia_vm_evm::app::EvmApp;

/// Default Ethereum JSON-RPC address.
pub const DEFAULT_JSON_RPC: &str = "127.0.0.1:8545";

/// Opens the EVM node of `home` with `config`.
pub fn open_node(home: &Path, config: &NodeConfig) -> Result<Arc<Node<EvmApp>>, RunError> {
    let (app_config, opts) = minitia_template::run::node_options(home, config)?;
    Ok(Node::open(evm_app(app_config), opts)?)
}

/// The app every EVM node runs ([`minitia_vm_evm::app::minitia_evm_app`]).
pub fn evm_app(app_config: AppConfig) -> EvmApp {
    minitia_vm_evm::app::minitia_evm_app(app_config)
}

/// Opens the EVM node of `home` as a follower (see [`minitia_template::follower`]).
pub fn open_follower(home: &Path, config: &NodeConfig) -> Result<Arc<Node<EvmApp>>, RunError> {
    minitia_template::follower::open_follower_node(home, config, evm_app)
}

/// The Ethereum JSON-RPC on `addr` as the EVM engine's [`ExtraServers`]: bound now (so a
/// port in use fails the start before anything runs), then one server per node it is given
/// (a follower or challenger that rolls back reopens its node and gets a new one). `safe` and
/// `finalized` follow the L1 `config` names ([`minitia_template::finality`]). A follower's
/// node is read-only, so `eth_sendRawTransaction` answers its read-only error.
pub async fn json_rpc(
    addr: SocketAddr,
    config: &NodeConfig,
) -> Result<impl ExtraServers<EvmApp>, RunError> {
    let (fin_stop, fin_rx) = tokio::sync::oneshot::channel::<()>();
    let finality = minitia_template::finality::from_config(config, async move {
        let _ = fin_rx.await;
    });
    let mut first = Some(bind(addr).await?);
    Ok(move |node: Arc<Node<EvmApp>>, stop: StopSignal| {
        // Keeps the finality watcher running for as long as servers can be started.
        let _ = &fin_stop;
        let api = EthApi::with_finality(node, finality.clone());
        let bound = first.take();
        Some(tokio::spawn(async move {
            let listener = match bound {
                Some(l) => l,
                None => match bind(addr).await {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!(error = %e, "Ethereum JSON-RPC not restarted");
                        return;
                    }
                },
            };
            tracing::info!(json_rpc = %addr, "Ethereum JSON-RPC");
            if let Err(e) = crate::rpc::serve(api, listener, stop).await {
                tracing::error!(error = %e, "Ethereum JSON-RPC stopped");
            }
        }))
    })
}

/// Runs the EVM node of `home` as a follower until `shutdown` resolves: it derives the chain
/// from the L1 and DA and serves the CometBFT RPC on `config.rpc.listen` and the Ethereum
/// JSON-RPC on `json_rpc`, both read-only.
pub async fn run_follower(
    home: &Path,
    config: &NodeConfig,
    json_rpc_addr: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let servers = json_rpc(json_rpc_addr, config).await?;
    minitia_template::follower::run_follower_home(home, config, evm_app, servers, shutdown).await
}

async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, RunError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| RunError::Bind {
            addr: addr.to_string(),
            source,
        })
}

/// Runs the EVM node of `home` until `shutdown` resolves: CometBFT RPC on
/// `config.rpc.listen`, Ethereum JSON-RPC on `json_rpc`, a block every block time.
pub async fn run_node(
    home: &Path,
    config: &NodeConfig,
    json_rpc_addr: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let servers = json_rpc(json_rpc_addr, config).await?;
    minitia_template::run::run_sequencer(home, config, evm_app, servers, None, shutdown).await
}

/// A funded account of a dev genesis.
#[derive(Debug, Clone)]
pub struct DevAccount {
    /// 0x address.
    pub address: String,
    /// Balance in base units.
    pub amount: u128,
}

/// Writes a single-sequencer dev home: `genesis.json` (funding `accounts` in `denom`),
/// `minitia.toml` (blocks every `block_time`, empty ones too) and a fresh validator key.
pub fn init_dev_home(
    home: &Path,
    chain_id: &str,
    denom: &str,
    min_gas_price: &str,
    block_time: Duration,
    accounts: &[DevAccount],
) -> Result<(), RunError> {
    let io = |e: std::io::Error| RunError::Other(format!("{}: {e}", home.display()));
    std::fs::create_dir_all(home.join("keys")).map_err(io)?;
    let balances: Vec<_> = accounts
        .iter()
        .map(|a| serde_json::json!({"address": a.address, "coins": [{"denom": denom, "amount": a.amount.to_string()}]}))
        .collect();
    let genesis = serde_json::json!({
        "genesis_time": "2026-01-01T00:00:00Z",
        "chain_id": chain_id,
        "initial_height": "1",
        "consensus_params": GenesisDoc::default_consensus_params(1 << 20),
        "validators": [],
        "app_hash": "",
        "app_state": {
            "chain": {"bech32_prefix": "init", "fee_denom": denom, "min_gas_price": min_gas_price, "max_tx_bytes": 131072, "max_tx_gas": 30000000},
            "bank": {"balances": balances},
            "minitia": {"vm": "evm"}
        }
    });
    std::fs::write(
        home.join("genesis.json"),
        serde_json::to_vec_pretty(&genesis).unwrap_or_default(),
    )
    .map_err(io)?;
    let mut cfg = NodeConfig::default();
    cfg.sequencer.block_time = block_time;
    // Ethereum clients wait for the *next* block to notice a receipt (ethers' `wait()` polls
    // on new blocks), so a dev chain keeps producing blocks.
    cfg.sequencer.create_empty_blocks = true;
    std::fs::write(home.join("minitia.toml"), cfg.to_toml()).map_err(io)?;
    ValidatorKey::generate().save(&cfg.validator_key_path(home))?;
    Ok(())
}
