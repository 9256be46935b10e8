//! The Ethereum JSON-RPC of an EVM minitia, over HTTP and websocket (default port 8545).
//!
//! Every answer is read from committed data: blocks and results from the block store, state
//! from the state store at the requested height. Block tags: `latest` and `pending` are the
//! latest committed block (`pending` nonces also count txs this node admitted to its mempool);
//! `safe` is the highest block covered by a batch recorded on the L1 and `finalized` the last
//! block of the bridge's last finalized output (see [`minitia_template::finality`]; with no L1
//! configured both are the latest block); `earliest` is the genesis state (block 0). The Ethereum block hash of height `h` is its CometBFT block
//! hash, and a tx's hash is keccak256 of its raw bytes, found through the `ethereum_tx.tx_hash`
//! event index. Cosmos txs share the blocks; they occupy tx positions but are not listed as
//! Ethereum txs.
//!
//! `eth_getProof` does **not** return Merkle-Patricia proofs: the chain has one commitment
//! (the state store's sparse Merkle tree), so each proof element is an ICS-23
//! `CommitmentProof` (protobuf, hex) of one store key against the block's state root, which
//! is also returned as `storageHash`. See [`proof`] for the format and its verifier.

mod filters;
pub mod proof;
mod server;
pub mod types;

use std::sync::{Arc, Mutex};

use minitia_chain::{node::Node, rpc::RpcBackend};
use minitia_core::{BlockContext, Hash32, Height, TxResult};
use minitia_template::finality::Finality;
use revm::{
    context::{result::ExecutionResult, TxEnv},
    primitives::{Address, Bytes, TxKind, B256, U256},
};
use serde_json::{json, Value};

pub use server::{router, serve};

use minitia_vm_evm::{
    app::{is_eth_tx, EvmApp},
    db::StateDb,
    engine::{revert_message, CallOptions},
    receipt::StoredReceipt,
    tx::EthTx,
};
use types::*;

/// The client version string.
pub const CLIENT_VERSION: &str = concat!("minitia-evm/v", env!("CARGO_PKG_VERSION"));
/// Most blocks one `eth_getLogs` may scan.
pub const MAX_LOG_RANGE: u64 = 10_000;

/// A JSON-RPC error.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcErr {
    /// JSON-RPC code.
    pub code: i64,
    /// Message.
    pub message: String,
    /// Optional data (revert bytes).
    pub data: Option<Value>,
}

impl RpcErr {
    /// -32602.
    pub fn invalid_params(m: impl Into<String>) -> Self {
        Self {
            code: -32602,
            message: m.into(),
            data: None,
        }
    }
    /// -32603.
    pub fn internal(m: impl std::fmt::Display) -> Self {
        Self {
            code: -32603,
            message: m.to_string(),
            data: None,
        }
    }
    /// -32000, geth's generic server error (tx rejected, header not found, ...).
    pub fn server(m: impl Into<String>) -> Self {
        Self {
            code: -32000,
            message: m.into(),
            data: None,
        }
    }
    /// -32601.
    pub fn method_not_found(m: &str) -> Self {
        Self {
            code: -32601,
            message: format!("the method {m} does not exist/is not available"),
            data: None,
        }
    }
    /// JSON form.
    pub fn to_json(&self) -> Value {
        let mut e = json!({"code": self.code, "message": self.message});
        if let Some(d) = &self.data {
            e["data"] = d.clone();
        }
        e
    }
}

/// The Ethereum API over a node.
pub struct EthApi {
    node: Arc<Node<EvmApp>>,
    filters: Mutex<filters::Filters>,
    /// Next nonce per sender after the txs this API admitted to the mempool, for the
    /// `pending` tag (pruned once the chain catches up, or after a minute, so a tx dropped
    /// from the mempool does not leave a nonce gap behind).
    pending: Mutex<std::collections::HashMap<Address, (u64, std::time::Instant)>>,
    /// Heights behind the `safe` and `finalized` tags.
    finality: Arc<Finality>,
}

impl std::fmt::Debug for EthApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EthApi")
    }
}

/// An Ethereum tx found in a block.
struct Located {
    tx: EthTx,
    pos: TxPos,
    result: TxResult,
}

fn p(params: &Value, i: usize) -> Option<&Value> {
    params.get(i).filter(|v| !v.is_null())
}

fn p_str<'a>(params: &'a Value, i: usize, what: &str) -> Result<&'a str, RpcErr> {
    p(params, i).and_then(Value::as_str).ok_or_else(|| {
        RpcErr::invalid_params(format!("missing value for required argument {i} ({what})"))
    })
}

fn internal<E: std::fmt::Display>(e: E) -> RpcErr {
    RpcErr::internal(e)
}

impl EthApi {
    /// An API over `node` with no L1: `safe` and `finalized` are the latest block.
    pub fn new(node: Arc<Node<EvmApp>>) -> Arc<Self> {
        Self::with_finality(node, Finality::standalone())
    }

    /// An API over `node` whose `safe`/`finalized` tags follow `finality` (kept current from
    /// the L1 by [`minitia_template::finality::watch_l1`]).
    pub fn with_finality(node: Arc<Node<EvmApp>>, finality: Arc<Finality>) -> Arc<Self> {
        Arc::new(Self {
            node,
            filters: Mutex::new(filters::Filters::default()),
            pending: Mutex::new(Default::default()),
            finality,
        })
    }

    /// The node.
    pub fn node(&self) -> &Arc<Node<EvmApp>> {
        &self.node
    }

    fn app(&self) -> &EvmApp {
        self.node.app()
    }

    fn base_fee(&self) -> u64 {
        self.app().evm().params().base_fee
    }

    /// Answers one call.
    pub fn dispatch(&self, method: &str, params: &Value) -> Result<Value, RpcErr> {
        let chain_id = self.app().evm().params().chain_id;
        match method {
            "web3_clientVersion" => Ok(json!(CLIENT_VERSION)),
            "web3_sha3" => {
                let b = parse_bytes(p_str(params, 0, "data")?)?;
                Ok(json!(format!("{:#x}", revm::primitives::keccak256(b))))
            }
            "net_version" => Ok(json!(chain_id.to_string())),
            "net_listening" => Ok(json!(true)),
            "net_peerCount" => Ok(q(0u8)),
            "eth_chainId" => Ok(q(chain_id)),
            "eth_syncing" => Ok(json!(false)),
            "eth_mining" => Ok(json!(false)),
            "eth_hashrate" => Ok(q(0u8)),
            "eth_accounts" => Ok(json!([])),
            "eth_coinbase" => Ok(json!(format!("{:#x}", self.app().evm().fee_collector()))),
            "eth_protocolVersion" => Ok(json!("0x41")),
            "eth_blockNumber" => Ok(q(self.node.height())),
            "eth_gasPrice" => Ok(q(self.base_fee())),
            "eth_maxPriorityFeePerGas" => Ok(q(0u8)),
            "eth_blobBaseFee" => Ok(q(1u8)),
            "eth_feeHistory" => self.fee_history(params),
            "eth_getBalance" => {
                let a = parse_address(p_str(params, 0, "address")?)?;
                let (view, _) = self.state_at(p(params, 1))?;
                let b = StateDb::new(&view, &self.app().evm().params().denom)
                    .balance(&a)
                    .map_err(internal)?;
                Ok(q(b))
            }
            "eth_getTransactionCount" => {
                let a = parse_address(p_str(params, 0, "address")?)?;
                let tag = p(params, 1).and_then(Value::as_str).unwrap_or("latest");
                let (view, _) = self.state_at(p(params, 1))?;
                let mut n = StateDb::new(&view, "").nonce(&a).map_err(internal)?;
                if tag == "pending" {
                    n = n.max(self.pending_nonce(&a, n));
                }
                Ok(q(n))
            }
            "eth_getCode" => {
                let a = parse_address(p_str(params, 0, "address")?)?;
                let (view, _) = self.state_at(p(params, 1))?;
                Ok(data(&StateDb::new(&view, "").code(&a).map_err(internal)?))
            }
            // Not Ethereum's: the ERC-20 view of a bank denom (see minitia_vm_evm::erc20), or null.
            "minitia_erc20Address" => {
                let denom = p_str(params, 0, "denom")?;
                let (view, _) = self.state_at(p(params, 1))?;
                Ok(
                    match minitia_vm_evm::erc20::registered_token(&view, denom).map_err(internal)? {
                        Some(a) => json!(format!("{a:#x}")),
                        None => Value::Null,
                    },
                )
            }
            "eth_getStorageAt" => {
                let a = parse_address(p_str(params, 0, "address")?)?;
                let slot = parse_u256(p_str(params, 1, "slot")?)?;
                let (view, _) = self.state_at(p(params, 2))?;
                let v = StateDb::new(&view, "").slot(&a, &slot).map_err(internal)?;
                Ok(data(&v.to_be_bytes::<32>()))
            }
            "eth_call" => self.eth_call(params),
            "eth_estimateGas" => self.estimate_gas(params),
            "eth_sendRawTransaction" => self.send_raw(p_str(params, 0, "data")?),
            "eth_getTransactionByHash" => {
                let h = parse_b256(p_str(params, 0, "hash")?)?;
                Ok(match self.find_tx(&h)? {
                    Some(l) => tx_json(
                        &l.tx.envelope,
                        &l.tx.hash,
                        &l.tx.sender,
                        Some(l.pos),
                        self.base_fee(),
                    ),
                    None => Value::Null,
                })
            }
            "eth_getTransactionReceipt" => {
                let h = parse_b256(p_str(params, 0, "hash")?)?;
                match self.find_tx(&h)? {
                    Some(l) => Ok(self
                        .block_receipts(l.pos.block_number)?
                        .into_iter()
                        .find(|r| r["transactionHash"] == json!(format!("{h:#x}")))
                        .unwrap_or(Value::Null)),
                    None => Ok(Value::Null),
                }
            }
            "eth_getBlockByNumber" => {
                let full = p(params, 1).and_then(Value::as_bool).unwrap_or(false);
                match self.block_number(p(params, 0))? {
                    Some(h) => self.block_json(h, full),
                    None => Ok(Value::Null),
                }
            }
            "eth_getBlockByHash" => {
                let h = parse_b256(p_str(params, 0, "hash")?)?;
                let full = p(params, 1).and_then(Value::as_bool).unwrap_or(false);
                match self.height_of_hash(&h)? {
                    Some(n) => self.block_json(n, full),
                    None => Ok(Value::Null),
                }
            }
            "eth_getBlockReceipts" => {
                let n = match p(params, 0).and_then(Value::as_str) {
                    Some(s) if s.len() == 66 => self.height_of_hash(&parse_b256(s)?)?,
                    _ => self.block_number(p(params, 0))?,
                };
                match n {
                    Some(n) => Ok(Value::Array(self.block_receipts(n)?)),
                    None => Ok(Value::Null),
                }
            }
            "eth_getBlockTransactionCountByNumber" => match self.block_number(p(params, 0))? {
                Some(n) => Ok(q(self.block_eth_txs(n)?.len() as u64)),
                None => Ok(Value::Null),
            },
            "eth_getBlockTransactionCountByHash" => {
                match self.height_of_hash(&parse_b256(p_str(params, 0, "hash")?)?)? {
                    Some(n) => Ok(q(self.block_eth_txs(n)?.len() as u64)),
                    None => Ok(Value::Null),
                }
            }
            "eth_getTransactionByBlockNumberAndIndex" => {
                let idx = parse_u64(p_str(params, 1, "index")?)?;
                match self.block_number(p(params, 0))? {
                    Some(n) => Ok(self
                        .block_eth_txs(n)?
                        .into_iter()
                        .find(|l| u64::from(l.pos.index) == idx)
                        .map(|l| {
                            tx_json(
                                &l.tx.envelope,
                                &l.tx.hash,
                                &l.tx.sender,
                                Some(l.pos),
                                self.base_fee(),
                            )
                        })
                        .unwrap_or(Value::Null)),
                    None => Ok(Value::Null),
                }
            }
            "eth_getUncleCountByBlockNumber" | "eth_getUncleCountByBlockHash" => Ok(q(0u8)),
            "eth_getLogs" => {
                let f = filters::LogFilter::parse(p(params, 0).unwrap_or(&Value::Null))?;
                Ok(Value::Array(self.logs(&f)?))
            }
            "eth_newFilter" => {
                let f = filters::LogFilter::parse(p(params, 0).unwrap_or(&Value::Null))?;
                Ok(json!(self
                    .lock_filters()
                    .install_logs(f, self.node.height())))
            }
            "eth_newBlockFilter" => Ok(json!(self
                .lock_filters()
                .install_blocks(self.node.height()))),
            "eth_newPendingTransactionFilter" => Ok(json!(self.lock_filters().install_pending())),
            "eth_uninstallFilter" => Ok(json!(self.lock_filters().remove(p_str(params, 0, "id")?))),
            "eth_getFilterChanges" => self.filter_changes(p_str(params, 0, "id")?),
            "eth_getFilterLogs" => {
                let f = self
                    .lock_filters()
                    .log_filter(p_str(params, 0, "id")?)
                    .ok_or_else(|| RpcErr::server("filter not found"))?;
                Ok(Value::Array(self.logs(&f)?))
            }
            "eth_getProof" => self.get_proof(params),
            "debug_traceTransaction" => self.trace_transaction(params),
            _ => Err(RpcErr::method_not_found(method)),
        }
    }

    fn lock_filters(&self) -> std::sync::MutexGuard<'_, filters::Filters> {
        self.filters.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_pending(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<Address, (u64, std::time::Instant)>>
    {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next nonce counting txs admitted through this API that are not yet in a block.
    fn pending_nonce(&self, a: &Address, state: u64) -> u64 {
        let mut p = self.lock_pending();
        match p.get(a) {
            Some((n, at)) if *n > state && at.elapsed() < std::time::Duration::from_secs(60) => *n,
            Some(_) => {
                p.remove(a);
                state
            }
            None => state,
        }
    }

    /// Resolves a block tag or number; `None` when above the head.
    fn block_number(&self, tag: Option<&Value>) -> Result<Option<u64>, RpcErr> {
        let head = self.node.height();
        let n = match tag {
            None => head,
            Some(Value::String(s)) => match s.as_str() {
                "latest" | "pending" => head,
                "safe" => self.finality.safe(head),
                "finalized" => self.finality.finalized(head),
                "earliest" => 0,
                other => parse_u64(other)?,
            },
            Some(Value::Object(o)) => {
                if let Some(h) = o.get("blockHash").and_then(Value::as_str) {
                    return self.height_of_hash(&parse_b256(h)?);
                }
                return self.block_number(o.get("blockNumber"));
            }
            Some(Value::Number(n)) => n
                .as_u64()
                .ok_or_else(|| RpcErr::invalid_params("invalid block number"))?,
            Some(_) => return Err(RpcErr::invalid_params("invalid block tag")),
        };
        Ok((n <= head).then_some(n))
    }

    fn state_at(&self, tag: Option<&Value>) -> Result<(minitia_store::StoreView, u64), RpcErr> {
        let h = self
            .block_number(tag)?
            .ok_or_else(|| RpcErr::server("header not found"))?;
        let view = self
            .node
            .view_at(h)
            .map_err(|e| RpcErr::server(format!("state of block {h} is not available: {e}")))?;
        Ok((view, h))
    }

    fn height_of_hash(&self, h: &B256) -> Result<Option<u64>, RpcErr> {
        if h.is_zero() {
            return Ok(Some(0));
        }
        Ok(self
            .node
            .blocks()
            .height_of_block(h.as_slice())
            .map_err(internal)?
            .filter(|n| *n <= self.node.height()))
    }

    fn block_hash(&self, h: u64) -> Result<B256, RpcErr> {
        if h == 0 {
            return Ok(B256::ZERO);
        }
        let b = self
            .node
            .blocks()
            .block(h)
            .map_err(internal)?
            .ok_or_else(|| RpcErr::server(format!("block {h} not found")))?;
        Ok(B256::from_slice(b.header.hash().as_bytes()))
    }

    /// Ethereum txs of block `h` with their results, in block order.
    fn block_eth_txs(&self, h: u64) -> Result<Vec<Located>, RpcErr> {
        if h == 0 {
            return Ok(vec![]);
        }
        let blocks = self.node.blocks();
        let b = blocks
            .block(h)
            .map_err(internal)?
            .ok_or_else(|| RpcErr::server(format!("block {h} not found")))?;
        let results = blocks.results(h).map_err(internal)?.unwrap_or_default();
        let block_hash = B256::from_slice(b.header.hash().as_bytes());
        let mut out = Vec::new();
        for (i, raw) in b.data.iter().enumerate() {
            if !is_eth_tx(raw) {
                continue;
            }
            let Ok(tx) = EthTx::decode(raw) else { continue };
            out.push(Located {
                tx,
                pos: TxPos {
                    block_hash,
                    block_number: h,
                    index: i as u32,
                },
                result: results.tx_results.get(i).cloned().unwrap_or_default(),
            });
        }
        Ok(out)
    }

    fn find_tx(&self, hash: &B256) -> Result<Option<Located>, RpcErr> {
        let locs = self
            .node
            .blocks()
            .txs_with_event("ethereum_tx.tx_hash", &format!("{hash:#x}"))
            .map_err(internal)?;
        let Some((h, i)) = locs.into_iter().find(|(h, _)| *h <= self.node.height()) else {
            return Ok(None);
        };
        Ok(self
            .block_eth_txs(h)?
            .into_iter()
            .find(|l| l.pos.index == i))
    }

    /// Receipts of the executed Ethereum txs of block `n`.
    fn block_receipts(&self, n: u64) -> Result<Vec<Value>, RpcErr> {
        let mut cumulative = 0u64;
        let mut log_index = 0u64;
        let mut out = Vec::new();
        for l in self.block_eth_txs(n)? {
            let Some(r) = StoredReceipt::decode(&l.result.data) else {
                continue;
            };
            cumulative += r.gas_used;
            out.push(receipt_json(&r, l.pos, cumulative, log_index));
            log_index += r.logs.len() as u64;
        }
        Ok(out)
    }

    fn block_json(&self, n: u64, full: bool) -> Result<Value, RpcErr> {
        let txs = self.block_eth_txs(n)?;
        let (hash, parent, time) = if n == 0 {
            let t = self
                .node
                .blocks()
                .block(1)
                .ok()
                .flatten()
                .map_or(0, |b| b.header.time.unix_timestamp());
            (B256::ZERO, B256::ZERO, t)
        } else {
            let b = self
                .node
                .blocks()
                .block(n)
                .map_err(internal)?
                .ok_or_else(|| RpcErr::server(format!("block {n} not found")))?;
            let parent = b
                .header
                .last_block_id
                .map_or(B256::ZERO, |id| B256::from_slice(id.hash.as_bytes()));
            (
                B256::from_slice(b.header.hash().as_bytes()),
                parent,
                b.header.time.unix_timestamp(),
            )
        };
        let root = self.node.root_at(n).map_err(internal)?;
        let mut gas_used = 0u64;
        let mut bloom = alloy_primitives::Bloom::default();
        for l in &txs {
            if let Some(r) = StoredReceipt::decode(&l.result.data) {
                gas_used += r.gas_used;
                bloom.accrue_bloom(&bloom_of(&r.logs));
            }
        }
        let base_fee = self.base_fee();
        let transactions: Vec<Value> = txs
            .iter()
            .map(|l| {
                if full {
                    tx_json(
                        &l.tx.envelope,
                        &l.tx.hash,
                        &l.tx.sender,
                        Some(l.pos),
                        base_fee,
                    )
                } else {
                    json!(format!("{:#x}", l.tx.hash))
                }
            })
            .collect();
        let p = self.app().evm().params();
        Ok(json!({
            "number": q(n),
            "hash": format!("{hash:#x}"),
            "parentHash": format!("{parent:#x}"),
            "nonce": "0x0000000000000000",
            "sha3Uncles": EMPTY_UNCLES,
            "logsBloom": data(bloom.as_slice()),
            "transactionsRoot": EMPTY_ROOT,
            "stateRoot": format!("0x{}", hex::encode(root.0)),
            "receiptsRoot": EMPTY_ROOT,
            "miner": format!("{:#x}", self.app().evm().fee_collector()),
            "difficulty": "0x0",
            "totalDifficulty": "0x0",
            "extraData": "0x",
            "size": q(1000u64 + txs.iter().map(|l| l.tx.raw.len() as u64).sum::<u64>()),
            "gasLimit": q(p.block_gas_limit),
            "gasUsed": q(gas_used),
            "timestamp": q(time.max(0) as u64),
            "transactions": transactions,
            "uncles": [],
            "baseFeePerGas": q(base_fee),
            "mixHash": format!("{:#x}", B256::ZERO),
        }))
    }

    fn fee_history(&self, params: &Value) -> Result<Value, RpcErr> {
        let count = match p(params, 0) {
            Some(Value::Number(n)) => n.as_u64().unwrap_or(1),
            Some(Value::String(s)) => parse_u64(s)?,
            _ => return Err(RpcErr::invalid_params("missing block count")),
        }
        .clamp(1, 1024);
        let newest = self
            .block_number(p(params, 1))?
            .ok_or_else(|| RpcErr::server("header not found"))?;
        let oldest = newest.saturating_sub(count - 1);
        let percentiles = p(params, 2).and_then(Value::as_array).map_or(0, Vec::len);
        let limit = self.app().evm().params().block_gas_limit.max(1);
        let mut ratios = Vec::new();
        let mut rewards = Vec::new();
        for h in oldest..=newest {
            let used: u64 = self
                .block_eth_txs(h)?
                .iter()
                .filter_map(|l| StoredReceipt::decode(&l.result.data))
                .map(|r| r.gas_used)
                .sum();
            ratios.push(json!(used as f64 / limit as f64));
            rewards.push(json!(vec![q(0u8); percentiles]));
        }
        let n = (newest - oldest + 1) as usize;
        let mut o = json!({
            "oldestBlock": q(oldest),
            "baseFeePerGas": vec![q(self.base_fee()); n + 1],
            "gasUsedRatio": ratios,
            "baseFeePerBlobGas": vec![q(0u8); n + 1],
            "blobGasUsedRatio": vec![json!(0.0); n],
        });
        if percentiles > 0 {
            o["reward"] = Value::Array(rewards);
        }
        Ok(o)
    }

    fn call_env(&self, req: &Value, gas_cap: u64) -> Result<(TxEnv, CallOptions), RpcErr> {
        let s = |k: &str| req.get(k).and_then(Value::as_str);
        let from = s("from")
            .map(parse_address)
            .transpose()?
            .unwrap_or_default();
        let to = s("to").map(parse_address).transpose()?;
        let input = match s("input").or_else(|| s("data")) {
            Some(d) => parse_bytes(d)?,
            None => vec![],
        };
        let value = s("value").map(parse_u256).transpose()?.unwrap_or_default();
        let gas = s("gas")
            .map(parse_u64)
            .transpose()?
            .unwrap_or(gas_cap)
            .min(gas_cap);
        let gas_price = s("gasPrice")
            .or_else(|| s("maxFeePerGas"))
            .map(parse_u256)
            .transpose()?;
        let gas_price = gas_price
            .map(|g| u128::try_from(g).map_err(|_| RpcErr::invalid_params("gas price too large")))
            .transpose()?;
        let tip = s("maxPriorityFeePerGas")
            .map(parse_u256)
            .transpose()?
            .map(|g| u128::try_from(g).unwrap_or(u128::MAX));
        let nonce = s("nonce").map(parse_u64).transpose()?;
        let access_list = match req.get("accessList") {
            Some(v) if !v.is_null() => serde_json::from_value(v.clone())
                .map_err(|e| RpcErr::invalid_params(format!("invalid accessList: {e}")))?,
            _ => Default::default(),
        };
        let env = TxEnv {
            tx_type: if tip.is_some() { 2 } else { 0 },
            caller: from,
            gas_limit: gas,
            gas_price: gas_price.unwrap_or(0),
            kind: to.map_or(TxKind::Create, TxKind::Call),
            value,
            data: Bytes::from(input),
            nonce: nonce.unwrap_or(0),
            chain_id: Some(self.app().evm().params().chain_id),
            access_list,
            gas_priority_fee: tip,
            ..Default::default()
        };
        let opts = CallOptions {
            skip_nonce: nonce.is_none(),
            skip_base_fee: gas_price.unwrap_or(0) == 0,
        };
        Ok((env, opts))
    }

    fn call_ctx(&self, h: u64) -> BlockContext {
        let cfg = self.app().cosmos().config();
        let time = self
            .node
            .blocks()
            .block(h.max(1))
            .ok()
            .flatten()
            .map_or(0, |b| b.header.time.unix_timestamp_nanos());
        BlockContext {
            chain_id: cfg.chain_id.clone(),
            height: Height(h + 1),
            time_unix_nanos: time,
            proposer: minitia_core::Address::default(),
            max_gas: 0,
            last_block_hash: self
                .block_hash(h)
                .map(|b| Hash32(b.0))
                .unwrap_or(Hash32::ZERO),
        }
    }

    fn run_call(
        &self,
        params: &Value,
        gas: Option<u64>,
    ) -> Result<
        (
            ExecutionResult,
            TxEnv,
            CallOptions,
            minitia_store::StoreView,
            u64,
        ),
        RpcErr,
    > {
        let req = p(params, 0).ok_or_else(|| RpcErr::invalid_params("missing call object"))?;
        let (view, h) = self.state_at(p(params, 1))?;
        let cap = self.app().evm().params().block_gas_limit;
        let (mut env, opts) = self.call_env(req, cap)?;
        if let Some(g) = gas {
            env.gas_limit = g;
        }
        let ctx = self.call_ctx(h);
        let r = self
            .app()
            .evm()
            .call(&ctx, &view, env.clone(), opts)
            .map_err(internal)?
            .map_err(|e| RpcErr::server(e.message))?;
        Ok((r, env, opts, view, h))
    }

    fn eth_call(&self, params: &Value) -> Result<Value, RpcErr> {
        let (r, ..) = self.run_call(params, None)?;
        match r {
            ExecutionResult::Success { output, .. } => Ok(data(output.data())),
            ExecutionResult::Revert { output, .. } => Err(reverted(&output)),
            ExecutionResult::Halt { reason, .. } => Err(RpcErr::server(halt_message(&reason))),
        }
    }

    fn estimate_gas(&self, params: &Value) -> Result<Value, RpcErr> {
        let (r, env, opts, view, h) = self.run_call(params, None)?;
        let first = match r {
            ExecutionResult::Success { gas, .. } => gas,
            ExecutionResult::Revert { output, .. } => return Err(reverted(&output)),
            ExecutionResult::Halt { reason, .. } => {
                return Err(RpcErr::server(format!(
                    "gas required exceeds allowance ({}): {}",
                    env.gas_limit,
                    halt_message(&reason)
                )))
            }
        };
        let ctx = self.call_ctx(h);
        let ok = |g: u64| -> Result<bool, RpcErr> {
            let mut e = env.clone();
            e.gas_limit = g;
            Ok(matches!(
                self.app()
                    .evm()
                    .call(&ctx, &view, e, opts)
                    .map_err(internal)?,
                Ok(ExecutionResult::Success { .. })
            ))
        };
        // The limit must cover gas spent before refunds; try that first, then bisect.
        let mut lo = first.total_gas_spent().saturating_sub(1);
        let mut hi = env.gas_limit;
        let guess = first.total_gas_spent().max(first.tx_gas_used());
        if guess < hi && ok(guess)? {
            hi = guess;
            // The 63/64 rule can make a lower limit fail; a few probes below the guess refine it.
        }
        while lo + 1 < hi {
            let mid = lo + (hi - lo) / 2;
            if ok(mid)? {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(q(hi))
    }

    fn send_raw(&self, hex_tx: &str) -> Result<Value, RpcErr> {
        let raw = parse_bytes(hex_tx)?;
        if !is_eth_tx(&raw) {
            return Err(RpcErr::server(if raw.is_empty() {
                "rlp: empty transaction".to_string()
            } else {
                format!("rlp: unsupported transaction type byte 0x{:02x}", raw[0])
            }));
        }
        let hash = revm::primitives::keccak256(&raw);
        let sender = EthTx::decode(&raw).ok().map(|t| (t.sender, t.nonce()));
        let out = self.node.submit_tx(raw).map_err(internal)?;
        if out.code != 0 {
            let msg = if out.codespace == "sdk" && out.log.contains("already exists in the mempool")
            {
                "already known".to_string()
            } else if out.codespace == "sdk"
                && out.log.contains("replacement transaction underpriced")
            {
                "replacement transaction underpriced".to_string()
            } else {
                out.log
            };
            return Err(RpcErr::server(msg));
        }
        if let Some((from, nonce)) = sender {
            let mut p = self.lock_pending();
            if p.len() > 100_000 {
                p.clear();
            }
            let next = p.entry(from).or_insert((0, std::time::Instant::now()));
            *next = (next.0.max(nonce + 1), std::time::Instant::now());
        }
        Ok(json!(format!("{hash:#x}")))
    }

    /// Logs matching `f`, in chain order.
    pub fn logs(&self, f: &filters::LogFilter) -> Result<Vec<Value>, RpcErr> {
        let (from, to) = match &f.block_hash {
            Some(h) => {
                let n = self
                    .height_of_hash(h)?
                    .ok_or_else(|| RpcErr::server("unknown block"))?;
                (n, n)
            }
            None => {
                let head = self.node.height();
                let from = self
                    .block_number(f.from_block.as_ref())?
                    .unwrap_or(head + 1);
                let to = self.block_number(f.to_block.as_ref())?.unwrap_or(head);
                (from, to)
            }
        };
        if to >= from && to - from > MAX_LOG_RANGE {
            return Err(RpcErr::server(format!(
                "query exceeds max block range {MAX_LOG_RANGE}"
            )));
        }
        let mut out = Vec::new();
        for n in from.max(1)..=to {
            self.block_logs(n, f, &mut out)?;
        }
        Ok(out)
    }

    fn block_logs(
        &self,
        n: u64,
        f: &filters::LogFilter,
        out: &mut Vec<Value>,
    ) -> Result<(), RpcErr> {
        let mut log_index = 0u64;
        for l in self.block_eth_txs(n)? {
            let Some(r) = StoredReceipt::decode(&l.result.data) else {
                continue;
            };
            for log in &r.logs {
                if f.matches(log) {
                    out.push(log_json(log, l.pos, &r.tx_hash, log_index));
                }
                log_index += 1;
            }
        }
        Ok(())
    }

    fn filter_changes(&self, id: &str) -> Result<Value, RpcErr> {
        let head = self.node.height();
        let change = self
            .lock_filters()
            .poll(id, head)
            .ok_or_else(|| RpcErr::server("filter not found"))?;
        match change {
            filters::Change::Blocks(from, to) => {
                let mut v = Vec::new();
                for h in from..=to {
                    v.push(json!(format!("{:#x}", self.block_hash(h)?)));
                }
                Ok(Value::Array(v))
            }
            filters::Change::Logs(f, from, to) => {
                let mut v = Vec::new();
                for h in from..=to {
                    self.block_logs(h, &f, &mut v)?;
                }
                Ok(Value::Array(v))
            }
            filters::Change::Pending => Ok(json!([])),
        }
    }

    /// A newHeads notification body for block `n`.
    pub fn head_json(&self, n: u64) -> Result<Value, RpcErr> {
        let mut b = self.block_json(n, false)?;
        if let Some(o) = b.as_object_mut() {
            o.remove("transactions");
            o.remove("uncles");
        }
        Ok(b)
    }

    /// Logs of block `n` matching `f`.
    pub fn logs_of_block(&self, n: u64, f: &filters::LogFilter) -> Result<Vec<Value>, RpcErr> {
        let mut v = Vec::new();
        self.block_logs(n, f, &mut v)?;
        Ok(v)
    }

    /// `debug_traceTransaction(hash, {tracer: "callTracer"})`: re-executes the block's txs
    /// before it on the parent state, then the tx with the call tracer.
    fn trace_transaction(&self, params: &Value) -> Result<Value, RpcErr> {
        let h = parse_b256(p_str(params, 0, "hash")?)?;
        match p(params, 1)
            .and_then(|o| o.get("tracer"))
            .and_then(Value::as_str)
        {
            Some("callTracer") => {}
            other => {
                return Err(RpcErr::invalid_params(format!(
                    "tracer {other:?} is not supported; use {{\"tracer\": \"callTracer\"}}"
                )))
            }
        }
        let l = self
            .find_tx(&h)?
            .ok_or_else(|| RpcErr::server(format!("transaction {h:#x} not found")))?;
        let n = l.pos.block_number;
        let b = self
            .node
            .blocks()
            .block(n)
            .map_err(internal)?
            .ok_or_else(|| RpcErr::server(format!("block {n} not found")))?;
        let app = self.app();
        let prefix = b.data[..l.pos.index as usize]
            .iter()
            .map(|raw| app.decode_tx(raw))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| RpcErr::internal(e.message))?;
        let parent = self.node.view_at(n - 1).map_err(internal)?;
        let last = b.header.last_block_id.map_or(Hash32::ZERO, |id| {
            Hash32::from_slice(id.hash.as_bytes()).unwrap_or_default()
        });
        let ctx = BlockContext {
            chain_id: app.cosmos().config().chain_id.clone(),
            height: Height(n),
            time_unix_nanos: b.header.time.unix_timestamp_nanos(),
            proposer: minitia_core::Address::from_slice(b.header.proposer_address.as_bytes())
                .unwrap_or_default(),
            max_gas: 0,
            last_block_hash: last,
        };
        use minitia_core::ExecutionEngine as _;
        let before = app
            .execute_block(&ctx, &parent, &prefix)
            .map_err(internal)?;
        let mut pre = minitia_core::Overlay::new(&parent);
        pre.apply(before.writes);
        let (result, tracer) = app
            .evm()
            .trace_call(&ctx, &pre, l.tx.tx_env())
            .map_err(internal)?
            .map_err(|e| RpcErr::server(e.message))?;
        let mut root = tracer
            .root()
            .map(minitia_vm_evm::trace::Frame::to_json)
            .ok_or_else(|| RpcErr::internal("the tracer recorded no call"))?;
        root["gas"] = q(l.tx.gas_limit());
        root["gasUsed"] = q(result.tx_gas_used());
        Ok(root)
    }

    fn get_proof(&self, params: &Value) -> Result<Value, RpcErr> {
        let a = parse_address(p_str(params, 0, "address")?)?;
        let slots: Vec<U256> = p(params, 1)
            .and_then(Value::as_array)
            .map(|v| {
                v.iter()
                    .filter_map(Value::as_str)
                    .map(parse_u256)
                    .collect::<Result<_, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let h = self
            .block_number(p(params, 2))?
            .ok_or_else(|| RpcErr::server("header not found"))?;
        let denom = self.app().evm().params().denom.clone();
        let root = self.node.root_at(h).map_err(internal)?;
        let prove = |key: Vec<u8>| -> Result<(Vec<u8>, String), RpcErr> {
            let r = RpcBackend::abci_query(&*self.node, "store/", &key, h, true)
                .map_err(|e| RpcErr::server(e.to_string()))?;
            let op = r
                .proof
                .and_then(|p| p.ops.into_iter().next())
                .ok_or_else(|| RpcErr::server(format!("no proof available at block {h}")))?;
            Ok((r.value, format!("0x{}", hex::encode(op.data))))
        };
        let (bal, bal_proof) = prove(minitia_vm_evm::keys::balance_key(&a, &denom))?;
        let (acc, acc_proof) = prove(minitia_vm_evm::keys::account_key(&a))?;
        let (ch, ch_proof) = prove(minitia_vm_evm::keys::code_hash_key(&a))?;
        let balance = <[u8; 16]>::try_from(bal.as_slice()).map_or(0, u128::from_be_bytes);
        let nonce = if acc.is_empty() {
            0
        } else {
            <cosmrs::proto::cosmos::auth::v1beta1::BaseAccount as prost::Message>::decode(
                acc.as_slice(),
            )
            .map_or(0, |a| a.sequence)
        };
        let code_hash = if ch.len() == 32 {
            B256::from_slice(&ch)
        } else {
            revm::primitives::KECCAK_EMPTY
        };
        let mut storage = Vec::new();
        for s in slots {
            let (v, pr) = prove(minitia_vm_evm::keys::storage_key(&a, &s))?;
            storage.push(json!({
                "key": q256(&s),
                "value": q256(&U256::from_be_slice(&v)),
                "proof": [pr],
            }));
        }
        Ok(json!({
            "address": format!("{a:#x}"),
            "balance": q(balance),
            "nonce": q(nonce),
            "codeHash": format!("{code_hash:#x}"),
            "storageHash": format!("0x{}", hex::encode(root.0)),
            "accountProof": [bal_proof, acc_proof, ch_proof],
            "storageProof": storage,
        }))
    }
}

fn reverted(output: &Bytes) -> RpcErr {
    RpcErr {
        code: 3,
        message: revert_message(output),
        data: Some(data(output)),
    }
}

fn halt_message(reason: &revm::context::result::HaltReason) -> String {
    use revm::context::result::{HaltReason, OutOfGasError};
    match reason {
        HaltReason::OutOfGas(OutOfGasError::Basic) | HaltReason::OutOfGas(_) => "out of gas".into(),
        HaltReason::OpcodeNotFound | HaltReason::InvalidFEOpcode => "invalid opcode".into(),
        HaltReason::StackUnderflow => "stack underflow".into(),
        HaltReason::StackOverflow => "stack limit reached 1024".into(),
        other => format!("execution halted: {other:?}"),
    }
}
