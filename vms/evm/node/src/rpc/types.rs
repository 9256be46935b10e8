//! JSON shapes of the Ethereum JSON-RPC: quantities, blocks, txs, receipts, logs.

use alloy_consensus::{Transaction as _, TxEnvelope};
use alloy_primitives::{Bloom, BloomInput};
use revm::primitives::{Address, Bytes, B256, U256};
use serde_json::{json, Value};

use super::RpcErr;
use minitia_vm_evm::receipt::{StoredLog, StoredReceipt};

/// keccak256(rlp([])): the hash of an empty uncle list.
pub const EMPTY_UNCLES: &str = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347";
/// The root of an empty Merkle-Patricia trie.
pub const EMPTY_ROOT: &str = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421";

/// `0x`-hex quantity.
pub fn q(n: impl Into<u128>) -> Value {
    Value::String(format!("{:#x}", n.into()))
}

/// `0x`-hex quantity of a U256.
pub fn q256(n: &U256) -> Value {
    Value::String(format!("{n:#x}"))
}

/// `0x`-hex data.
pub fn data(b: &[u8]) -> Value {
    Value::String(format!("0x{}", hex::encode(b)))
}

/// Parses a quantity (`0x`-hex; decimal accepted too).
pub fn parse_u256(s: &str) -> Result<U256, RpcErr> {
    let bad = || RpcErr::invalid_params(format!("invalid quantity {s:?}"));
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some("") => Err(bad()),
        Some(h) => U256::from_str_radix(h, 16).map_err(|_| bad()),
        None => U256::from_str_radix(s, 10).map_err(|_| bad()),
    }
}

/// Parses a quantity that fits in u64.
pub fn parse_u64(s: &str) -> Result<u64, RpcErr> {
    u64::try_from(parse_u256(s)?)
        .map_err(|_| RpcErr::invalid_params(format!("quantity {s:?} does not fit in 64 bits")))
}

/// Parses `0x`-hex bytes.
pub fn parse_bytes(s: &str) -> Result<Vec<u8>, RpcErr> {
    let h = s.strip_prefix("0x").unwrap_or(s);
    hex::decode(h).map_err(|e| RpcErr::invalid_params(format!("invalid hex data: {e}")))
}

/// Parses a 20-byte address.
pub fn parse_address(s: &str) -> Result<Address, RpcErr> {
    let b = parse_bytes(s)?;
    if b.len() != 20 {
        return Err(RpcErr::invalid_params(format!(
            "invalid address {s:?}: expected 20 bytes"
        )));
    }
    Ok(Address::from_slice(&b))
}

/// Parses a 32-byte hash.
pub fn parse_b256(s: &str) -> Result<B256, RpcErr> {
    let b = parse_bytes(s)?;
    if b.len() != 32 {
        return Err(RpcErr::invalid_params(format!(
            "invalid hash {s:?}: expected 32 bytes"
        )));
    }
    Ok(B256::from_slice(&b))
}

/// Where a tx sits in the chain.
#[derive(Debug, Clone, Copy)]
pub struct TxPos {
    /// Block hash.
    pub block_hash: B256,
    /// Height.
    pub block_number: u64,
    /// Position in the block.
    pub index: u32,
}

/// An Ethereum tx object.
pub fn tx_json(
    tx: &TxEnvelope,
    hash: &B256,
    from: &Address,
    pos: Option<TxPos>,
    base_fee: u64,
) -> Value {
    let (sig, ty) = match tx {
        TxEnvelope::Legacy(t) => (*t.signature(), 0u8),
        TxEnvelope::Eip2930(t) => (*t.signature(), 1),
        TxEnvelope::Eip1559(t) => (*t.signature(), 2),
        TxEnvelope::Eip4844(t) => (*t.signature(), 3),
        TxEnvelope::Eip7702(t) => (*t.signature(), 4),
    };
    let v: u64 = match (ty, tx.chain_id()) {
        (0, Some(c)) => c * 2 + 35 + u64::from(sig.v()),
        (0, None) => 27 + u64::from(sig.v()),
        _ => u64::from(sig.v()),
    };
    let mut o = json!({
        "hash": format!("{hash:#x}"),
        "nonce": q(tx.nonce()),
        "blockHash": pos.map(|p| format!("{:#x}", p.block_hash)),
        "blockNumber": pos.map(|p| q(p.block_number)),
        "transactionIndex": pos.map(|p| q(p.index)),
        "from": format!("{from:#x}"),
        "to": tx.to().map(|a| format!("{a:#x}")),
        "value": q256(&tx.value()),
        "gas": q(tx.gas_limit()),
        "gasPrice": q(if pos.is_some() { tx.effective_gas_price(Some(base_fee)) } else { tx.max_fee_per_gas() }),
        "input": data(tx.input()),
        "v": q(v),
        "r": q256(&sig.r()),
        "s": q256(&sig.s()),
        "type": q(ty),
    });
    if let Some(c) = tx.chain_id() {
        o["chainId"] = q(c);
    }
    if ty != 0 {
        o["yParity"] = q(u8::from(sig.v()));
        o["accessList"] = serde_json::to_value(tx.access_list().cloned().unwrap_or_default())
            .unwrap_or(Value::Array(vec![]));
    }
    if ty == 2 {
        o["maxFeePerGas"] = q(tx.max_fee_per_gas());
        o["maxPriorityFeePerGas"] = q(tx.max_priority_fee_per_gas().unwrap_or(0));
    }
    o
}

/// A log object.
pub fn log_json(l: &StoredLog, pos: TxPos, tx_hash: &B256, log_index: u64) -> Value {
    json!({
        "address": format!("{:#x}", l.address),
        "topics": l.topics.iter().map(|t| format!("{t:#x}")).collect::<Vec<_>>(),
        "data": data(&l.data),
        "blockNumber": q(pos.block_number),
        "blockHash": format!("{:#x}", pos.block_hash),
        "transactionHash": format!("{tx_hash:#x}"),
        "transactionIndex": q(pos.index),
        "logIndex": q(log_index),
        "removed": false,
    })
}

/// The bloom of some logs.
pub fn bloom_of<'a>(logs: impl IntoIterator<Item = &'a StoredLog>) -> Bloom {
    let mut b = Bloom::default();
    for l in logs {
        b.accrue(BloomInput::Raw(l.address.as_slice()));
        for t in &l.topics {
            b.accrue(BloomInput::Raw(t.as_slice()));
        }
    }
    b
}

/// A receipt object; `cumulative` is the block's gas up to and including this tx and
/// `first_log_index` the block-wide index of its first log.
pub fn receipt_json(r: &StoredReceipt, pos: TxPos, cumulative: u64, first_log_index: u64) -> Value {
    json!({
        "transactionHash": format!("{:#x}", r.tx_hash),
        "transactionIndex": q(pos.index),
        "blockHash": format!("{:#x}", pos.block_hash),
        "blockNumber": q(pos.block_number),
        "from": format!("{:#x}", r.from),
        "to": r.to.map(|a| format!("{a:#x}")),
        "cumulativeGasUsed": q(cumulative),
        "gasUsed": q(r.gas_used),
        "effectiveGasPrice": q(r.effective_gas_price),
        "contractAddress": r.contract_address.map(|a| format!("{a:#x}")),
        "logs": r.logs.iter().enumerate().map(|(i, l)| log_json(l, pos, &r.tx_hash, first_log_index + i as u64)).collect::<Vec<_>>(),
        "logsBloom": data(bloom_of(&r.logs).as_slice()),
        "status": q(u8::from(r.status)),
        "type": q(r.tx_type),
    })
}

/// Hex of raw bytes, for `Bytes` values.
pub fn bytes_hex(b: &Bytes) -> String {
    format!("0x{}", hex::encode(b))
}
