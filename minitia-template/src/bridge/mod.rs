//! The OPinit bridge on the minitia side: the `opchild` module (deposits in, withdrawals
//! out), and the bridge executor bot that relays deposits, builds the withdrawal tree of
//! each output interval, proposes outputs on the L1 and serves withdrawal proofs.

pub mod client;
pub mod executor;
pub use minitia_app::opchild;
pub mod ophost;
pub use minitia_app::opchild::proto;
pub mod store;

use std::path::Path;

use cosmrs::crypto::secp256k1::SigningKey;

use crate::{
    config::NodeConfig,
    home::{self, AccountKey, HomeError},
};

/// The secp256k1 signing key of an account key file (BIP39 mnemonic at `m/44'/118'/0'/0/0`).
pub fn signing_key(key: &AccountKey) -> Result<SigningKey, HomeError> {
    let phrase = bip32::Mnemonic::new(key.mnemonic.trim(), bip32::Language::English)
        .map_err(|e| HomeError::Mnemonic(format!("key {}: {e}", key.name)))?;
    let seed = phrase.to_seed("");
    let path: bip32::DerivationPath = home::COSMOS_HD_PATH
        .parse()
        .map_err(|e| HomeError::Invalid(format!("hd path: {e}")))?;
    SigningKey::derive_from_path(seed.as_bytes(), &path)
        .map_err(|e| HomeError::Mnemonic(format!("key {}: derivation failed: {e}", key.name)))
}

/// Loads `keys/<name>.json` of `home` as a signing key.
pub fn load_signing_key(home_dir: &Path, name: &str) -> Result<SigningKey, HomeError> {
    signing_key(&home::show_key(home_dir, name)?)
}

/// The CometBFT RPC URL of the home's own node (`[bridge] l2_rpc`, else `[rpc] listen`).
pub fn l2_rpc_url(cfg: &NodeConfig) -> String {
    if !cfg.bridge.l2_rpc.is_empty() {
        return cfg.bridge.l2_rpc.clone();
    }
    let mut a = cfg.rpc.listen;
    if a.ip().is_unspecified() {
        a.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{a}")
}

/// The genesis `app_state.chain` fee denom and minimum gas price of the home's chain, as a
/// gas price for the executor's L2 txs.
pub fn l2_gas_price(
    home_dir: &Path,
    cfg: &NodeConfig,
) -> Result<minitia_chain::client::GasPrice, String> {
    let path = cfg.genesis_path(home_dir);
    let g: serde_json::Value = std::fs::read(&path)
        .map_err(|e| format!("{}: {e}", path.display()))
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| format!("{}: {e}", path.display())))?;
    let chain = &g["app_state"]["chain"];
    let denom = chain["fee_denom"].as_str().unwrap_or("umin");
    let price = chain["min_gas_price"].as_str().unwrap_or("0");
    let price = if price.is_empty() { "0" } else { price };
    format!("{price}{denom}").parse()
}

/// Builds executor options from a home: keys `executor` and (with `[bridge] proposer`)
/// `proposer`, `[l1]`, `[bridge]`, the redb under `<data_dir>/bridge/executor.redb`.
pub fn executor_options(
    home_dir: &Path,
    cfg: &NodeConfig,
) -> Result<executor::ExecutorOptions, String> {
    if cfg.l1.rpc.is_empty() {
        return Err("[l1] rpc is empty: set the L1's CometBFT RPC URL (MINITIA_L1_RPC)".into());
    }
    let executor_key = load_signing_key(home_dir, "executor").map_err(|e| e.to_string())?;
    let proposer_key = if cfg.bridge.proposer {
        Some(load_signing_key(home_dir, "proposer").map_err(|e| e.to_string())?)
    } else {
        None
    };
    Ok(executor::ExecutorOptions {
        l1_rpc: cfg.l1.rpc.clone(),
        l1_chain_id: cfg.l1.chain_id.clone(),
        l1_prefix: cfg.l1.bech32_prefix.clone(),
        l1_gas_price: cfg
            .l1
            .gas_price
            .parse()
            .map_err(|e| format!("[l1] gas_price: {e}"))?,
        bridge_id: cfg.l1.bridge_id,
        l2_rpc: l2_rpc_url(cfg),
        l2_prefix: home::home_bech32_prefix(home_dir),
        l2_gas_price: l2_gas_price(home_dir, cfg)?,
        executor_key,
        proposer_key,
        relay_deposits: cfg.bridge.executor,
        db_path: cfg.data_dir(home_dir).join("bridge").join("executor.redb"),
        poll: cfg.bridge.poll_interval,
        faults: Default::default(),
    })
}

/// Refuses fault injection unless the home's genesis marks a dev chain
/// (`app_state.minitia.dev = true`, written by `minitia new --dev` and the localnet).
pub fn require_dev_chain(home_dir: &Path) -> Result<(), String> {
    let path = home_dir.join("genesis.json");
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let g: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    if !crate::challenger::is_dev_chain(&g) {
        return Err(format!(
            "fault injection is refused: {} is not a dev chain (genesis app_state.minitia.dev is \
             not true); faults are only for dev chains made with `minitia new --dev`",
            home_dir.display()
        ));
    }
    Ok(())
}
