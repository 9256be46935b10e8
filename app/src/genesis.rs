//! The genesis document: CometBFT's `genesis.json` shape, with the app's parameters in
//! `app_state.chain` and each module's section beside it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{AppConfig, DecAmount};
use minitia_core::ChainId;

/// Chain-wide parameters that every node must agree on (they change execution).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChainParams {
    /// Bech32 prefix of accounts.
    pub bech32_prefix: String,
    /// Fee denom.
    pub fee_denom: String,
    /// Minimum gas price in `fee_denom` (decimal string).
    #[serde(default)]
    pub min_gas_price: DecAmount,
    /// Largest tx in bytes.
    #[serde(default = "default_max_tx_bytes")]
    pub max_tx_bytes: usize,
    /// Largest gas limit a tx may ask for.
    #[serde(default = "default_max_tx_gas")]
    pub max_tx_gas: u64,
}

fn default_max_tx_bytes() -> usize {
    1024 * 1024
}
fn default_max_tx_gas() -> u64 {
    100_000_000
}

/// A validator entry of the genesis file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GenesisValidator {
    /// Hex address.
    pub address: String,
    /// `{"type": "tendermint/PubKeyEd25519", "value": base64}`.
    pub pub_key: serde_json::Value,
    /// Voting power, as a string.
    pub power: String,
    /// Name.
    #[serde(default)]
    pub name: String,
}

/// The genesis document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GenesisDoc {
    /// Genesis time (RFC 3339); the first block's time is after it.
    pub genesis_time: tendermint::Time,
    /// Chain id.
    pub chain_id: String,
    /// First block height, as a string (always "1" for now).
    #[serde(default = "one")]
    pub initial_height: String,
    /// Consensus parameters, served as-is by `/genesis`.
    #[serde(default)]
    pub consensus_params: serde_json::Value,
    /// The sequencer.
    pub validators: Vec<GenesisValidator>,
    /// Unused (CometBFT field).
    #[serde(default)]
    pub app_hash: String,
    /// `chain` (parameters) plus one section per module.
    pub app_state: serde_json::Value,
}

fn one() -> String {
    "1".into()
}

/// Why a genesis file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    /// Read failed.
    #[error("cannot read genesis file {0}: {1}")]
    Io(String, std::io::Error),
    /// Parse or validation failed.
    #[error("genesis file {0} is invalid: {1}")]
    Invalid(String, String),
}

impl GenesisDoc {
    /// Reads and validates a genesis file.
    pub fn load(path: &Path) -> Result<Self, GenesisError> {
        let p = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| GenesisError::Io(p.clone(), e))?;
        let doc: Self = serde_json::from_slice(&bytes)
            .map_err(|e| GenesisError::Invalid(p.clone(), e.to_string()))?;
        doc.app_config().map_err(|e| GenesisError::Invalid(p, e))?;
        Ok(doc)
    }

    /// The chain parameters from `app_state.chain`.
    pub fn params(&self) -> Result<ChainParams, String> {
        let v = self
            .app_state
            .get("chain")
            .cloned()
            .ok_or("app_state.chain is missing (bech32_prefix, fee_denom, ...)")?;
        serde_json::from_value(v).map_err(|e| format!("app_state.chain: {e}"))
    }

    /// The app configuration this genesis defines.
    pub fn app_config(&self) -> Result<AppConfig, String> {
        let chain_id = ChainId::new(self.chain_id.clone()).map_err(|e| format!("chain_id: {e}"))?;
        let p = self.params()?;
        let mut c = AppConfig::new(chain_id, p.bech32_prefix, p.fee_denom);
        c.min_gas_price = p.min_gas_price;
        c.max_tx_bytes = p.max_tx_bytes;
        c.max_tx_gas = p.max_tx_gas;
        Ok(c)
    }

    /// Consensus parameters in CometBFT's default shape, for new genesis files.
    pub fn default_consensus_params(max_tx_bytes: usize) -> serde_json::Value {
        serde_json::json!({
            "block": {"max_bytes": (max_tx_bytes * 4).to_string(), "max_gas": "-1"},
            "evidence": {"max_age_num_blocks": "100000", "max_age_duration": "172800000000000", "max_bytes": "1048576"},
            "validator": {"pub_key_types": ["ed25519"]},
            "version": {"app": "0"},
            "abci": {"vote_extensions_enable_height": "0"}
        })
    }
}
