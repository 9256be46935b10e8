//! Running an EVM minitia node from a home directory (as `minitia new --vm evm` lays it out):
//! the chain node with its CometBFT RPC, the Ethereum JSON-RPC beside it, and the producer.

use std::{future::Future, net::SocketAddr, path::Path, sync::Arc, time::Duration};

use minitia_chain::{
    app::AppConfig,
    node::{genesis::GenesisDoc, keys::ValidatorKey, Node},
};
use minitia_template::{config::NodeConfig, run::RunError};

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

/// Runs the EVM node of `home` as a follower until `shutdown` resolves: it derives the chain
/// from the L1 and DA and serves the CometBFT RPC on `config.rpc.listen` and the Ethereum
/// JSON-RPC on `json_rpc`, both read-only (`eth_sendRawTransaction` answers the follower's
/// read-only error).
pub async fn run_follower(
    home: &Path,
    config: &NodeConfig,
    json_rpc: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let (fin_stop, fin_rx) = tokio::sync::oneshot::channel::<()>();
    let finality = minitia_template::finality::from_config(config, async move {
        let _ = fin_rx.await;
    });
    let _fin_stop = fin_stop;
    // One Ethereum JSON-RPC server per node the follower serves (a new one after it rolls
    // itself back, binding the port again once the previous server stopped). The first
    // port is bound here so that a port in use fails the start.
    let mut first = Some(bind(json_rpc).await?);
    minitia_template::follower::run_follower_home(
        home,
        config,
        evm_app,
        move |node, stop| {
            let api = EthApi::with_finality(node, finality.clone());
            let bound = first.take();
            Some(tokio::spawn(async move {
                let eth = match bound {
                    Some(l) => l,
                    None => match bind(json_rpc).await {
                        Ok(l) => l,
                        Err(e) => {
                            tracing::error!(error = %e, "Ethereum JSON-RPC not restarted");
                            return;
                        }
                    },
                };
                tracing::info!(json_rpc = %json_rpc, "Ethereum JSON-RPC (read-only follower)");
                if let Err(e) = crate::rpc::serve(api, eth, stop).await {
                    tracing::error!(error = %e, "Ethereum JSON-RPC stopped");
                }
            }))
        },
        shutdown,
    )
    .await
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
    json_rpc: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let node = {
        let home = home.to_path_buf();
        let config = config.clone();
        tokio::task::spawn_blocking(move || open_node(&home, &config))
            .await
            .map_err(|e| RunError::Other(format!("node start panicked: {e}")))??
    };
    let comet = bind(config.rpc.listen).await?;
    let eth = bind(json_rpc).await?;
    tracing::info!(rpc = %config.rpc.listen, json_rpc = %json_rpc, height = node.height(), "EVM minitia node started");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };
    let rpc = tokio::spawn(minitia_chain::rpc::serve(
        node.clone(),
        comet,
        stopped(stop_rx.clone()),
    ));
    let finality = minitia_template::finality::from_config(config, stopped(stop_rx.clone()));
    let eth_rpc = tokio::spawn(crate::rpc::serve(
        EthApi::with_finality(node.clone(), finality),
        eth,
        stopped(stop_rx.clone()),
    ));
    let block_time: Duration = config.sequencer.block_time;
    let producer = node.clone().run_producer(block_time, stopped(stop_rx));
    tokio::pin!(producer);
    tokio::pin!(shutdown);
    let result = tokio::select! {
        r = &mut producer => r.map_err(RunError::from),
        _ = &mut shutdown => {
            tracing::info!("shutting down");
            let _ = stop_tx.send(true);
            producer.await.map_err(RunError::from)
        }
    };
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(5), rpc).await;
    let _ = tokio::time::timeout(Duration::from_secs(5), eth_rpc).await;
    result
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
