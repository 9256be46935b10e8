//! What the chain stores per Ethereum tx: a receipt in the tx result's `data`, from which the
//! JSON-RPC builds Ethereum receipts and logs (cumulative gas and log indexes are derived from
//! the block's results, so they are not stored).

use revm::primitives::{Address, Bytes, B256};
use serde::{Deserialize, Serialize};

/// One log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredLog {
    /// Emitting contract.
    pub address: Address,
    /// Topics.
    pub topics: Vec<B256>,
    /// Data.
    pub data: Bytes,
}

/// The receipt of one executed Ethereum tx.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredReceipt {
    /// keccak256 of the raw tx.
    pub tx_hash: B256,
    /// 0, 1 or 2.
    pub tx_type: u8,
    /// Sender.
    pub from: Address,
    /// Recipient (`None` for creation).
    pub to: Option<Address>,
    /// Created contract, when a creation succeeded.
    pub contract_address: Option<Address>,
    /// true = success.
    pub status: bool,
    /// Gas charged.
    pub gas_used: u64,
    /// Price paid per gas.
    pub effective_gas_price: u128,
    /// Logs (empty when the tx failed).
    pub logs: Vec<StoredLog>,
    /// Revert data when it reverted.
    pub output: Bytes,
}

impl StoredReceipt {
    /// Serialized form kept in `TxResult::data` (JSON: stable field order, deterministic).
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses `TxResult::data`; `None` for results that are not EVM receipts.
    pub fn decode(data: &[u8]) -> Option<Self> {
        serde_json::from_slice(data).ok()
    }
}
