//! The bridge executor bot (`minitia executor`), one process like opinit-bots' executor:
//!
//! - **deposits**: finds `initiate_token_deposit` events of our bridge on the L1
//!   (`tx_search` from the L2's next expected L1 sequence) and finalizes them on the L2 with
//!   `MsgFinalizeTokenDeposit`, strictly in sequence order. The L2's `NextL1Sequence` is the
//!   only source of truth: it is read before every batch, so a restart (or a kill -9 between
//!   broadcast and inclusion) can neither skip nor repeat a deposit — a duplicate is refused
//!   by the chain with `deposit already finalized` and changes nothing.
//! - **withdrawal tree**: scans every L2 block (`block` + `block_results`), records each
//!   `initiate_token_withdrawal` in redb together with the scan cursor (one write per block),
//!   and closes an output interval at the first block whose time reaches the previous close
//!   plus 2/3 of the L1 bridge's `submission_interval` (OPinit's schedule). The interval's
//!   storage root is the root of its withdrawal tree; last_block_hash is the closing block's
//!   hash. The rule depends only on the L2 chain, so a restarted executor rebuilds the same
//!   intervals.
//! - **output proposer** (with the proposer key, `[bridge] proposer = true`): proposes each
//!   closed interval with `MsgProposeOutput` in index order; an output already on the L1
//!   with the same root is adopted, one with a different root stops proposals with an alarm.
//! - **API**: `GET /withdrawal/{sequence}` (OPinit's proof fields) and `GET /status`.
//!
//! Every tx goes through [`TxSubmitter`].

use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Duration,
};

use base64::Engine as _;
use cosmrs::{crypto::secp256k1::SigningKey, Any};
use minitia_chain::client::{
    GasPrice, RemoteChain, SubmitError, SubmitterConfig, SubmitterStatus, TxSubmitter,
};
use minitia_core::{opinit::OUTPUT_VERSION, Hash32, L1Client, L1Error};
use prost::Message;
use serde::{Deserialize, Serialize};
use tendermint_rpc::{Client, Order};

use super::{
    opchild, ophost as l1p,
    proto::{self as p2},
    store::{BlockUpdate, BridgeStore, OutputRecord, StoreError, WithdrawalRecord},
};

/// Everything the executor needs, resolved from a home by [`ExecutorOptions::from_home`] or
/// built by hand in tests.
pub struct ExecutorOptions {
    /// L1 CometBFT RPC.
    pub l1_rpc: String,
    /// L1 chain id (empty = ask the node).
    pub l1_chain_id: String,
    /// L1 bech32 prefix.
    pub l1_prefix: String,
    /// L1 gas price.
    pub l1_gas_price: GasPrice,
    /// Our bridge id.
    pub bridge_id: u64,
    /// L2 CometBFT RPC.
    pub l2_rpc: String,
    /// L2 bech32 prefix.
    pub l2_prefix: String,
    /// L2 gas price.
    pub l2_gas_price: GasPrice,
    /// Signs L2 txs (finalize deposits, set bridge info).
    pub executor_key: SigningKey,
    /// Signs L1 outputs; `None` = do not propose.
    pub proposer_key: Option<SigningKey>,
    /// Relay deposits.
    pub relay_deposits: bool,
    /// The redb file.
    pub db_path: PathBuf,
    /// Poll period when idle.
    pub poll: Duration,
    /// Faults to inject (dev chains only; empty in production).
    pub faults: ExecutorFaults,
}

/// Faults the executor injects to test challengers. Only for dev chains: `minitia executor`
/// refuses them unless the minitia's genesis has `app_state.minitia.dev = true`
/// ([`crate::challenger::is_dev_chain`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecutorFaults {
    /// Propose output `index` with a wrong root, once (a re-proposal of the same index after
    /// the challenger deleted it is honest).
    pub wrong_output_root_at: Option<u64>,
    /// Never finalize L1 deposit `sequence` on the L2 (nor, since the L2 takes deposits
    /// strictly in order, any after it).
    pub skip_deposit: Option<u64>,
}

impl ExecutorFaults {
    /// Whether any fault is set.
    pub fn any(&self) -> bool {
        self.wrong_output_root_at.is_some() || self.skip_deposit.is_some()
    }

    /// The wrong root posted instead of `root`: `sha3_256("minitia/fault-injection" ‖ root)`.
    pub fn wrong_root(root: &Hash32) -> Hash32 {
        minitia_core::sha3_256(&[b"minitia/fault-injection", &root.0])
    }
}

impl std::fmt::Debug for ExecutorOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecutorOptions")
            .field("l1_rpc", &self.l1_rpc)
            .field("l2_rpc", &self.l2_rpc)
            .field("bridge_id", &self.bridge_id)
            .finish_non_exhaustive()
    }
}

/// Why the executor stopped or could not start.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// Bad or missing configuration.
    #[error("{0}")]
    Config(String),
    /// A chain could not be reached or refused a query.
    #[error("{chain}: {source}")]
    Chain {
        /// `L1` or `L2`.
        chain: &'static str,
        /// Cause.
        source: L1Error,
    },
    /// A tx failed for good.
    #[error(transparent)]
    Submit(#[from] SubmitError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The chains disagree with what the executor recorded.
    #[error("{0}")]
    Inconsistent(String),
    /// The API address could not be bound.
    #[error("cannot listen for the executor API on {addr}: {source}; change [bridge] api_listen")]
    Bind {
        /// Address.
        addr: String,
        /// Cause.
        source: std::io::Error,
    },
}

fn l1e(source: L1Error) -> BridgeError {
    BridgeError::Chain {
        chain: "L1",
        source,
    }
}
fn l2e(source: L1Error) -> BridgeError {
    BridgeError::Chain {
        chain: "L2",
        source,
    }
}
fn rpc_err(chain: &'static str, e: impl std::fmt::Display) -> BridgeError {
    BridgeError::Chain {
        chain,
        source: L1Error::Unavailable(e.to_string()),
    }
}

/// What `/status` shows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExecutorStatus {
    /// Bridge id.
    pub bridge_id: u64,
    /// Next L1 sequence the L2 expects (last read).
    pub next_l1_sequence: u64,
    /// Deposits this process finalized.
    pub deposits_finalized: u64,
    /// Last L2 height scanned for withdrawals.
    pub l2_scanned_height: u64,
    /// Next withdrawal sequence expected.
    pub next_l2_sequence: u64,
    /// Closed output intervals.
    pub outputs_closed: u64,
    /// Highest output index on the L1 from this executor.
    pub last_proposed_output: u64,
    /// Last error of each loop (cleared on success).
    pub errors: std::collections::BTreeMap<String, String>,
    /// The L2 submitter (executor key).
    pub executor: Option<SubmitterStatus>,
    /// The L1 submitter (proposer key).
    pub proposer: Option<SubmitterStatus>,
}

/// A deposit seen on the L1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deposit {
    /// L1 sequence.
    pub sequence: u64,
    /// L1 sender.
    pub from: String,
    /// L2 recipient.
    pub to: String,
    /// L1 denom.
    pub l1_denom: String,
    /// L2 denom.
    pub l2_denom: String,
    /// Amount.
    pub amount: u128,
    /// Hook data.
    pub data: Vec<u8>,
    /// L1 height.
    pub height: u64,
}

/// A withdrawal proof as opinit-bots' executor API returns it (`GET /withdrawal/{sequence}`);
/// byte fields are base64 as Go encodes `[]byte`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalProof {
    /// L2 sequence.
    pub sequence: u64,
    /// L1 recipient.
    pub to: String,
    /// L2 sender.
    pub from: String,
    /// Amount in the L1 denom.
    pub amount: ApiCoin,
    /// Output the proof is against.
    pub output_index: u64,
    /// Bridge id.
    pub bridge_id: u64,
    /// Sibling hashes, bottom up (base64).
    pub withdrawal_proofs: Vec<String>,
    /// Output version (base64 of one byte).
    pub version: String,
    /// Withdrawal tree root (base64).
    pub storage_root: String,
    /// L2 block hash of the output (base64).
    pub last_block_hash: String,
    /// L2 block time of the withdrawal tx.
    pub tx_time: String,
    /// L2 height of the withdrawal tx.
    pub tx_height: u64,
    /// L2 tx hash.
    pub tx_hash: String,
}

/// `sdk.Coin` in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiCoin {
    /// Denom.
    pub denom: String,
    /// Amount as a decimal string.
    pub amount: String,
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn unb64(field: &str, s: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| format!("{field} is not base64: {e}"))
}

impl WithdrawalProof {
    /// The L1 claim: `MsgFinalizeTokenWithdrawal` signed by `sender`.
    pub fn to_msg(&self, sender: &str) -> Result<l1p::MsgFinalizeTokenWithdrawal, String> {
        Ok(l1p::MsgFinalizeTokenWithdrawal {
            sender: sender.to_string(),
            bridge_id: self.bridge_id,
            output_index: self.output_index,
            withdrawal_proofs: self
                .withdrawal_proofs
                .iter()
                .map(|p| unb64("withdrawal_proofs", p))
                .collect::<Result<_, _>>()?,
            from: self.from.clone(),
            to: self.to.clone(),
            sequence: self.sequence,
            amount: Some(cosmrs::proto::cosmos::base::v1beta1::Coin {
                denom: self.amount.denom.clone(),
                amount: self.amount.amount.clone(),
            }),
            version: unb64("version", &self.version)?,
            storage_root: unb64("storage_root", &self.storage_root)?,
            last_block_hash: unb64("last_block_hash", &self.last_block_hash)?,
        })
    }
}

/// An `Any` of an ophost or opchild message.
pub fn any_msg<M: Message>(type_url: &str, m: &M) -> Any {
    Any {
        type_url: type_url.to_string(),
        value: m.encode_to_vec(),
    }
}

fn events(ev: &[tendermint::abci::Event]) -> Vec<(String, Vec<(String, String)>)> {
    ev.iter()
        .map(|e| {
            (
                e.kind.clone(),
                e.attributes
                    .iter()
                    .map(|a| {
                        (
                            a.key_str().unwrap_or_default().to_string(),
                            a.value_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect(),
            )
        })
        .collect()
}

fn attr<'a>(attrs: &'a [(String, String)], k: &str) -> &'a str {
    attrs
        .iter()
        .find(|(key, _)| key == k)
        .map_or("", |(_, v)| v.as_str())
}

/// Reads the deposits of `bridge_id` with sequence ≥ `from_sequence` (first page, in L1
/// order) from the L1's tx index.
pub async fn find_deposits(
    l1: &RemoteChain,
    bridge_id: u64,
    from_sequence: u64,
) -> Result<Vec<Deposit>, BridgeError> {
    let q = format!(
        "initiate_token_deposit.bridge_id = '{bridge_id}' AND initiate_token_deposit.l1_sequence >= {from_sequence}"
    );
    let query: tendermint_rpc::query::Query = q
        .parse()
        .map_err(|e| BridgeError::Config(format!("deposit query {q:?}: {e}")))?;
    let r = l1
        .rpc()
        .tx_search(query, false, 1, 100, Order::Ascending)
        .await
        .map_err(|e| rpc_err("L1", e))?;
    let mut out = Vec::new();
    for tx in r.txs {
        if tx.tx_result.code.is_err() {
            continue;
        }
        for (kind, a) in events(&tx.tx_result.events) {
            if kind != "initiate_token_deposit" || attr(&a, "bridge_id") != bridge_id.to_string() {
                continue;
            }
            let bad = |f: &str| {
                BridgeError::Inconsistent(format!(
                    "L1 deposit event in tx {} has a malformed {f}",
                    tx.hash
                ))
            };
            let sequence: u64 = attr(&a, "l1_sequence")
                .parse()
                .map_err(|_| bad("l1_sequence"))?;
            if sequence < from_sequence {
                continue;
            }
            out.push(Deposit {
                sequence,
                from: attr(&a, "from").to_string(),
                to: attr(&a, "to").to_string(),
                l1_denom: attr(&a, "l1_denom").to_string(),
                l2_denom: attr(&a, "l2_denom").to_string(),
                amount: attr(&a, "amount").parse().map_err(|_| bad("amount"))?,
                data: hex::decode(attr(&a, "data")).map_err(|_| bad("data"))?,
                height: tx.height.value(),
            });
        }
    }
    out.sort_by_key(|d| d.sequence);
    Ok(out)
}

/// The L2's next expected L1 sequence.
pub async fn next_l1_sequence(l2: &RemoteChain) -> Result<u64, BridgeError> {
    let r: p2::QueryNextL1SequenceResponse = l2
        .query_proto(opchild::query::NEXT_L1_SEQUENCE, &p2::EmptyRequest {}, None)
        .await
        .map_err(l2e)?;
    Ok(r.next_l1_sequence)
}

/// Most deposits finalized in one L2 tx.
const DEPOSITS_PER_TX: usize = 50;
/// Most L2 blocks scanned per step (so status stays fresh and shutdown prompt).
const BLOCKS_PER_STEP: u64 = 50;

struct Shared {
    store: BridgeStore,
    bridge_id: u64,
    status: Mutex<ExecutorStatus>,
}

impl Shared {
    fn note(&self, f: impl FnOnce(&mut ExecutorStatus)) {
        if let Ok(mut s) = self.status.lock() {
            f(&mut s);
        }
    }
}

/// A running executor.
pub struct Executor {
    l1: RemoteChain,
    l2: RemoteChain,
    l2_sub: TxSubmitter,
    l1_sub: Option<TxSubmitter>,
    shared: Arc<Shared>,
    /// 2/3 of the bridge's submission interval, in nanoseconds.
    close_every_nanos: u64,
    relay_deposits: bool,
    poll: Duration,
    faults: ExecutorFaults,
    /// Whether the wrong-root fault was posted (it is posted once).
    wrong_root_posted: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("bridge_id", &self.shared.bridge_id)
            .finish_non_exhaustive()
    }
}

impl Executor {
    /// Connects to both chains, reads the bridge config, opens the database and makes sure the
    /// L2 knows its bridge (`MsgSetBridgeInfo`).
    pub async fn connect(opts: ExecutorOptions) -> Result<Self, BridgeError> {
        if opts.bridge_id == 0 {
            return Err(BridgeError::Config(
                "[l1] bridge_id is 0: create the bridge on the L1 first (MsgCreateBridge) and set its id".into(),
            ));
        }
        let l1 = RemoteChain::new(&opts.l1_rpc).map_err(l1e)?;
        let l2 = RemoteChain::new(&opts.l2_rpc).map_err(l2e)?;
        let l1_chain_id = if opts.l1_chain_id.is_empty() {
            l1.chain_id().await.map_err(l1e)?
        } else {
            opts.l1_chain_id.clone()
        };
        let l2_chain_id = l2.chain_id().await.map_err(l2e)?;
        let bridge: l1p::QueryBridgeResponse = l1
            .query_proto(
                l1p::Q_BRIDGE,
                &l1p::QueryBridgeRequest {
                    bridge_id: opts.bridge_id,
                },
                None,
            )
            .await
            .map_err(l1e)?;
        let config = bridge.bridge_config.clone().ok_or_else(|| {
            BridgeError::Config(format!("bridge {} has no config on the L1", opts.bridge_id))
        })?;
        let interval = config
            .submission_interval
            .map_or(0, |d| d.as_nanos().max(0) as u64);
        if interval == 0 {
            return Err(BridgeError::Config(format!(
                "bridge {} has no submission_interval",
                opts.bridge_id
            )));
        }
        let l2_sub = TxSubmitter::new(
            l2.clone(),
            opts.executor_key,
            SubmitterConfig::new(l2_chain_id, &opts.l2_prefix, opts.l2_gas_price.clone()),
        )?;
        let l1_sub = match opts.proposer_key {
            Some(k) => {
                let s = TxSubmitter::new(
                    l1.clone(),
                    k,
                    SubmitterConfig::new(l1_chain_id.clone(), &opts.l1_prefix, opts.l1_gas_price),
                )?;
                if s.address() != config.proposer {
                    return Err(BridgeError::Config(format!(
                        "the proposer key is {}, but bridge {} names {} as its proposer",
                        s.address(),
                        opts.bridge_id,
                        config.proposer
                    )));
                }
                Some(s)
            }
            None => None,
        };
        let store = BridgeStore::open(&opts.db_path)?;
        let shared = Arc::new(Shared {
            store,
            bridge_id: opts.bridge_id,
            status: Mutex::new(ExecutorStatus {
                bridge_id: opts.bridge_id,
                ..Default::default()
            }),
        });
        let me = Self {
            l1,
            l2,
            l2_sub,
            l1_sub,
            shared,
            close_every_nanos: interval * 2 / 3,
            relay_deposits: opts.relay_deposits,
            poll: opts.poll,
            faults: opts.faults,
            wrong_root_posted: std::sync::atomic::AtomicBool::new(false),
        };
        if me.faults.any() {
            tracing::warn!(faults = ?me.faults, "bridge executor started WITH FAULT INJECTION");
        }
        me.ensure_bridge_info(&bridge, &l1_chain_id).await?;
        Ok(me)
    }

    async fn ensure_bridge_info(
        &self,
        bridge: &l1p::QueryBridgeResponse,
        l1_chain_id: &str,
    ) -> Result<(), BridgeError> {
        let have: Result<p2::QueryBridgeInfoResponse, _> = self
            .l2
            .query_proto(opchild::query::BRIDGE_INFO, &p2::EmptyRequest {}, None)
            .await;
        if let Ok(r) = have {
            match r.bridge_info {
                Some(i) if i.bridge_id == bridge.bridge_id => return Ok(()),
                Some(i) => {
                    return Err(BridgeError::Inconsistent(format!(
                        "the L2 is bridged by bridge {}, but [l1] bridge_id is {}",
                        i.bridge_id, bridge.bridge_id
                    )))
                }
                None => {}
            }
        }
        let m = p2::MsgSetBridgeInfo {
            sender: self.l2_sub.address(),
            bridge_info: Some(p2::BridgeInfo {
                bridge_id: bridge.bridge_id,
                bridge_addr: bridge.bridge_addr.clone(),
                l1_chain_id: l1_chain_id.to_string(),
                l1_client_id: String::new(),
                bridge_config: bridge.bridge_config.clone(),
            }),
        };
        self.l2_sub
            .submit(vec![any_msg(opchild::msg::SET_BRIDGE_INFO, &m)], "")
            .await?;
        tracing::info!(bridge_id = bridge.bridge_id, "bridge info set on the L2");
        Ok(())
    }

    /// The executor's status.
    pub fn status(&self) -> ExecutorStatus {
        let mut s = self
            .shared
            .status
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default();
        s.executor = Some(self.l2_sub.status());
        s.proposer = self.l1_sub.as_ref().map(TxSubmitter::status);
        s
    }

    /// One deposit step: finalizes the next run of consecutive deposits. `Ok(true)` if it
    /// made progress.
    pub async fn relay_deposits_once(&self) -> Result<bool, BridgeError> {
        let next = next_l1_sequence(&self.l2).await?;
        self.shared.note(|s| s.next_l1_sequence = next);
        let found = find_deposits(&self.l1, self.shared.bridge_id, next).await?;
        let run: Vec<&Deposit> = found
            .iter()
            .enumerate()
            .take_while(|(i, d)| {
                d.sequence == next + *i as u64 && Some(d.sequence) != self.faults.skip_deposit
            })
            .map(|(_, d)| d)
            .take(DEPOSITS_PER_TX)
            .collect();
        if run.is_empty() {
            if found.first().map(|d| d.sequence) == self.faults.skip_deposit {
                tracing::warn!(
                    sequence = next,
                    "fault injection: not finalizing this deposit (nor any after it)"
                );
            }
            return Ok(false);
        }
        let sender = self.l2_sub.address();
        let msgs = run
            .iter()
            .map(|d| {
                any_msg(
                    opchild::msg::FINALIZE_DEPOSIT,
                    &p2::MsgFinalizeTokenDeposit {
                        sender: sender.clone(),
                        from: d.from.clone(),
                        to: d.to.clone(),
                        amount: Some(cosmrs::proto::cosmos::base::v1beta1::Coin {
                            denom: d.l2_denom.clone(),
                            amount: d.amount.to_string(),
                        }),
                        sequence: d.sequence,
                        height: d.height,
                        base_denom: d.l1_denom.clone(),
                        data: d.data.clone(),
                    },
                )
            })
            .collect();
        match self.l2_sub.submit(msgs, "").await {
            Ok(tx) => {
                let n = run.len() as u64;
                tracing::info!(
                    first = next,
                    count = n,
                    l2_height = tx.height,
                    "deposits finalized"
                );
                self.shared.note(|s| {
                    s.deposits_finalized += n;
                    s.next_l1_sequence = next + n;
                });
                Ok(true)
            }
            // Someone (a previous run whose tx landed late) finalized them already: re-read.
            // (Matched on the log: a refusal found by the submitter's simulation comes back
            // with the query's code, not opchild's.)
            Err(SubmitError::Rejected { log, .. })
                if log.contains("deposit already finalized")
                    || log.contains("invalid sequence") =>
            {
                tracing::info!(log, "deposit sequence moved on the L2, resyncing");
                Ok(true)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// One scan step over new L2 blocks. `Ok(true)` if it made progress.
    pub async fn scan_once(&self) -> Result<bool, BridgeError> {
        let store = &self.shared.store;
        let mut cur = store.cursor()?;
        let tip = self.l2.latest_height().await.map_err(l2e)?;
        if cur.l2_height > tip {
            tracing::warn!(
                scanned = cur.l2_height,
                tip,
                "the executor database is ahead of the L2: the node was rolled back without \
                 it; stop the executor and run `minitia rollback` on this home"
            );
        }
        if cur.l2_height >= tip {
            return Ok(false);
        }
        let last = tip.min(cur.l2_height + BLOCKS_PER_STEP);
        for h in cur.l2_height + 1..=last {
            let block = self
                .l2
                .rpc()
                .block(h as u32)
                .await
                .map_err(|e| rpc_err("L2", e))?;
            let results = self
                .l2
                .rpc()
                .block_results(h as u32)
                .await
                .map_err(|e| rpc_err("L2", e))?;
            let time = block.block.header.time;
            let time_nanos = time.unix_timestamp_nanos().max(0) as u64;
            let mut update = BlockUpdate::default();
            for (i, r) in results.txs_results.unwrap_or_default().iter().enumerate() {
                if r.code.is_err() {
                    continue;
                }
                let raw = block.block.data.get(i).cloned().unwrap_or_default();
                let tx_hash = hex::encode_upper(minitia_core::sha256(&raw).0);
                for (kind, a) in events(&r.events) {
                    if kind != "initiate_token_withdrawal" {
                        continue;
                    }
                    let bad = |f: &str| {
                        BridgeError::Inconsistent(format!(
                            "L2 withdrawal event in tx {tx_hash} at height {h} has a malformed {f}"
                        ))
                    };
                    let sequence: u64 = attr(&a, "l2_sequence")
                        .parse()
                        .map_err(|_| bad("l2_sequence"))?;
                    if sequence != cur.next_sequence {
                        return Err(BridgeError::Inconsistent(format!(
                            "L2 withdrawal sequence {sequence} at height {h}, expected {}: the executor database does not match this chain; move it aside and restart to rebuild it from height 1",
                            cur.next_sequence
                        )));
                    }
                    cur.next_sequence += 1;
                    update.withdrawals.push(WithdrawalRecord {
                        sequence,
                        from: attr(&a, "from").to_string(),
                        to: attr(&a, "to").to_string(),
                        amount: attr(&a, "amount").parse().map_err(|_| bad("amount"))?,
                        denom: attr(&a, "denom").to_string(),
                        base_denom: attr(&a, "base_denom").to_string(),
                        tx_hash: tx_hash.clone(),
                        tx_height: h,
                        tx_time: time.to_rfc3339(),
                        output_index: None,
                    });
                }
            }
            if cur.close_at_nanos == 0 {
                cur.close_at_nanos = time_nanos + self.close_every_nanos;
            }
            if time_nanos >= cur.close_at_nanos {
                let mut leaves = Vec::new();
                for s in cur.open_first_sequence..cur.next_sequence {
                    let r = match update.withdrawals.iter().find(|w| w.sequence == s) {
                        Some(w) => w.clone(),
                        None => store.withdrawal(s)?.ok_or_else(|| {
                            BridgeError::Inconsistent(format!(
                                "withdrawal {s} missing from the database"
                            ))
                        })?,
                    };
                    leaves.push(super::store::leaf(self.shared.bridge_id, &r));
                }
                let tree = minitia_core::opinit::WithdrawalTree::new(leaves);
                let hash = Hash32::from_slice(block.block_id.hash.as_bytes()).ok_or_else(|| {
                    BridgeError::Inconsistent(format!("L2 block {h} has no 32-byte hash"))
                })?;
                let o = OutputRecord {
                    index: cur.next_output_index,
                    l2_block_number: h,
                    last_block_hash: hash,
                    storage_root: tree.root(),
                    first_sequence: cur.open_first_sequence,
                    end_sequence: cur.next_sequence,
                    l1_height: None,
                };
                tracing::info!(
                    index = o.index,
                    l2_height = h,
                    withdrawals = tree.len(),
                    "output interval closed"
                );
                update.closed = Some(o);
                cur.next_output_index += 1;
                cur.open_first_sequence = cur.next_sequence;
                cur.close_at_nanos = time_nanos + self.close_every_nanos;
            }
            cur.l2_height = h;
            store.apply_block(&cur, &update)?;
            self.shared.note(|s| {
                s.l2_scanned_height = h;
                s.next_l2_sequence = cur.next_sequence;
                s.outputs_closed = cur.next_output_index - 1;
            });
        }
        Ok(true)
    }

    /// One proposer step: proposes the first closed interval not yet on the L1.
    pub async fn propose_once(&self) -> Result<bool, BridgeError> {
        let Some(l1_sub) = &self.l1_sub else {
            return Ok(false);
        };
        let store = &self.shared.store;
        let mut outputs = store.outputs()?;
        if self.resync_deleted_outputs(&outputs).await? {
            outputs = store.outputs()?;
        }
        for o in outputs {
            if o.l1_height.is_some() {
                continue;
            }
            let honest = o.output_root();
            let inject = self.faults.wrong_output_root_at == Some(o.index)
                && !self
                    .wrong_root_posted
                    .load(std::sync::atomic::Ordering::SeqCst);
            let root = if inject {
                ExecutorFaults::wrong_root(&honest)
            } else {
                honest
            };
            let on_l1: Result<l1p::QueryOutputProposalResponse, _> = self
                .l1
                .query_proto(
                    l1p::Q_OUTPUT_PROPOSAL,
                    &l1p::QueryOutputProposalRequest {
                        bridge_id: self.shared.bridge_id,
                        output_index: o.index,
                    },
                    None,
                )
                .await;
            match on_l1 {
                Ok(r) if r.output_proposal.is_some() => {
                    let p = r.output_proposal.unwrap_or_default();
                    if p.output_root != root.0 {
                        return Err(BridgeError::Inconsistent(format!(
                            "output {} on the L1 has root {} but this executor computed {}: another proposer or a different L2 history; proposals stopped",
                            o.index,
                            hex::encode(&p.output_root),
                            hex::encode(root.0)
                        )));
                    }
                    store.mark_proposed(o.index, p.l1_block_number)?;
                    self.shared.note(|s| s.last_proposed_output = o.index);
                    continue;
                }
                Ok(_) | Err(L1Error::Rejected { .. }) => {}
                Err(e) => return Err(l1e(e)),
            }
            let m = l1p::MsgProposeOutput {
                proposer: l1_sub.address(),
                bridge_id: self.shared.bridge_id,
                output_index: o.index,
                l2_block_number: o.l2_block_number,
                output_root: root.0.to_vec(),
            };
            let tx = l1_sub
                .submit(vec![any_msg(l1p::MSG_PROPOSE_OUTPUT, &m)], "")
                .await?;
            store.mark_proposed(o.index, tx.height)?;
            if inject {
                self.wrong_root_posted
                    .store(true, std::sync::atomic::Ordering::SeqCst);
                tracing::warn!(
                    index = o.index,
                    root = %hex::encode(root.0),
                    honest = %hex::encode(honest.0),
                    "fault injection: proposed a wrong output root"
                );
            }
            tracing::info!(
                index = o.index,
                l2_height = o.l2_block_number,
                l1_height = tx.height,
                "output proposed"
            );
            self.shared.note(|s| s.last_proposed_output = o.index);
            return Ok(true);
        }
        Ok(false)
    }

    /// Recovery after a deletion: if the highest output this executor proposed is no longer
    /// on the L1 (a challenger's `MsgDeleteOutput` or a proven fraud proof deleted it and
    /// every later one), the outputs from the first missing index are marked unproposed, so
    /// the next steps propose them again in order, with the roots this executor computes.
    /// Withdrawal proofs against them are answered again once they are back on the L1.
    /// `outputs` is the store's list; returns whether it changed it.
    async fn resync_deleted_outputs(&self, outputs: &[OutputRecord]) -> Result<bool, BridgeError> {
        let store = &self.shared.store;
        let proposed = outputs
            .iter()
            .filter(|o| o.l1_height.is_some())
            .map(|o| o.index);
        let mut first_missing = None;
        for i in proposed.rev() {
            if self.output_on_l1(i).await? {
                break;
            }
            first_missing = Some(i);
        }
        let Some(from) = first_missing else {
            return Ok(false);
        };
        let n = store.unmark_proposed_from(from)?;
        tracing::warn!(
            from,
            count = n,
            "outputs deleted on the L1; proposing them again"
        );
        self.shared
            .note(|s| s.last_proposed_output = from.saturating_sub(1));
        Ok(true)
    }

    async fn output_on_l1(&self, index: u64) -> Result<bool, BridgeError> {
        let r: Result<l1p::QueryOutputProposalResponse, _> = self
            .l1
            .query_proto(
                l1p::Q_OUTPUT_PROPOSAL,
                &l1p::QueryOutputProposalRequest {
                    bridge_id: self.shared.bridge_id,
                    output_index: index,
                },
                None,
            )
            .await;
        match r {
            Ok(r) => Ok(r.output_proposal.is_some()),
            Err(L1Error::Rejected { .. }) => Ok(false),
            Err(e) => Err(l1e(e)),
        }
    }

    /// Runs the loops and serves the API on `api` until `shutdown` resolves.
    pub async fn run(
        self,
        api: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), BridgeError> {
        let me = Arc::new(self);
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        // A JoinSet aborts its tasks when dropped: if this future is dropped (the process
        // is shutting down hard, or a test kills it), no loop outlives it.
        let mut tasks = tokio::task::JoinSet::new();
        type StepFn = for<'a> fn(
            &'a Executor,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<bool, BridgeError>> + Send + 'a>,
        >;
        let mut loops: Vec<(&'static str, StepFn)> = vec![
            ("scan", |e| Box::pin(e.scan_once())),
            ("propose", |e| Box::pin(e.propose_once())),
        ];
        if me.relay_deposits {
            loops.push(("deposits", |e| Box::pin(e.relay_deposits_once())));
        }
        for (name, step) in loops {
            let me = me.clone();
            let mut stop = stop_rx.clone();
            tasks.spawn(async move {
                loop {
                    let idle = match step(&me).await {
                        Ok(progress) => {
                            me.shared.note(|s| {
                                s.errors.remove(name);
                            });
                            !progress
                        }
                        Err(e) => {
                            tracing::warn!(task = name, error = %e, "bridge step failed, retrying");
                            me.shared.note(|s| {
                                s.errors.insert(name.to_string(), e.to_string());
                            });
                            true
                        }
                    };
                    if *stop.borrow() {
                        break;
                    }
                    if idle {
                        tokio::select! {
                            _ = tokio::time::sleep(me.poll) => {}
                            _ = stop.changed() => break,
                        }
                    }
                }
            });
        }
        let app = router(me.clone());
        let mut stop = stop_rx.clone();
        tasks.spawn(async move {
            let _ = axum::serve(api, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|v| *v).await;
                })
                .await;
        });
        drop(me);
        shutdown.await;
        let _ = stop_tx.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(10), async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        Ok(())
    }

    /// The proof of withdrawal `sequence`, or why there is none yet.
    pub fn proof(&self, sequence: u64) -> Result<WithdrawalProof, (u16, String)> {
        proof_of(&self.shared, sequence)
    }
}

fn proof_of(shared: &Shared, sequence: u64) -> Result<WithdrawalProof, (u16, String)> {
    let internal = |e: StoreError| (500u16, e.to_string());
    let store = &shared.store;
    let Some(w) = store.withdrawal(sequence).map_err(internal)? else {
        let scanned = store.cursor().map_err(internal)?.l2_height;
        return Err((
            404,
            format!("withdrawal {sequence} not found: not initiated yet, or its block is above the scanned L2 height {scanned}"),
        ));
    };
    let Some(index) = w.output_index else {
        return Err((
            404,
            format!("withdrawal {sequence} is in the open output interval; its output is not closed yet"),
        ));
    };
    let o = store
        .output(index)
        .map_err(internal)?
        .ok_or_else(|| (500, format!("output {index} missing from the database")))?;
    if o.l1_height.is_none() {
        return Err((
            404,
            format!("withdrawal {sequence} is in output {index}, which is not on the L1 yet"),
        ));
    }
    let tree = store.tree(&o, shared.bridge_id).map_err(internal)?;
    let proof = tree
        .proof((sequence - o.first_sequence) as usize)
        .ok_or_else(|| {
            (
                500,
                format!("no proof for withdrawal {sequence} in output {index}"),
            )
        })?;
    Ok(WithdrawalProof {
        sequence,
        to: w.to,
        from: w.from,
        amount: ApiCoin {
            denom: w.base_denom,
            amount: w.amount.to_string(),
        },
        output_index: index,
        bridge_id: shared.bridge_id,
        withdrawal_proofs: proof.iter().map(|h| b64(&h.0)).collect(),
        version: b64(&[OUTPUT_VERSION]),
        storage_root: b64(&o.storage_root.0),
        last_block_hash: b64(&o.last_block_hash.0),
        tx_time: w.tx_time,
        tx_height: w.tx_height,
        tx_hash: w.tx_hash,
    })
}

fn router(me: Arc<Executor>) -> axum::Router {
    use axum::{extract::Path, http::StatusCode, response::IntoResponse, routing::get, Json};
    let a = me.clone();
    axum::Router::new()
        .route(
            "/withdrawal/{sequence}",
            get(move |Path(seq): Path<String>| {
                let me = a.clone();
                async move {
                    let Ok(seq) = seq.parse::<u64>() else {
                        return (
                            StatusCode::BAD_REQUEST,
                            Json(serde_json::json!({"error": format!("sequence {seq:?} is not a number")})),
                        )
                            .into_response();
                    };
                    match me.proof(seq) {
                        Ok(p) => Json(p).into_response(),
                        Err((code, msg)) => (
                            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                            Json(serde_json::json!({"error": msg})),
                        )
                            .into_response(),
                    }
                }
            }),
        )
        .route(
            "/metrics",
            get({
                let me = me.clone();
                move || {
                    let me = me.clone();
                    async move { crate::metrics_response(executor_metrics(&me.status())) }
                }
            }),
        )
        .route(
            "/status",
            get(move || {
                let me = me.clone();
                async move { Json(me.status()) }
            }),
        )
}

/// `GET /metrics` of the executor API.
pub fn executor_metrics(s: &ExecutorStatus) -> String {
    use minitia_core::metrics::{Exposition, Kind};
    let b = || vec![("bridge_id", s.bridge_id.to_string())];
    let mut e = Exposition::new();
    e.family(
        "minitia_executor_next_l1_sequence",
        "Next L1 deposit sequence the L2 expects.",
        Kind::Gauge,
        [(b(), s.next_l1_sequence as f64)],
    )
    .family(
        "minitia_executor_deposits_finalized",
        "Deposits this process finalized on the L2.",
        Kind::Counter,
        [(b(), s.deposits_finalized as f64)],
    )
    .family(
        "minitia_executor_l2_scanned_height",
        "Last L2 height scanned for withdrawals.",
        Kind::Gauge,
        [(b(), s.l2_scanned_height as f64)],
    )
    .family(
        "minitia_executor_next_l2_sequence",
        "Next withdrawal sequence expected.",
        Kind::Gauge,
        [(b(), s.next_l2_sequence as f64)],
    )
    .family(
        "minitia_executor_outputs_closed",
        "Output intervals closed (withdrawal trees built).",
        Kind::Gauge,
        [(b(), s.outputs_closed as f64)],
    )
    .family(
        "minitia_executor_last_proposed_output",
        "Highest output index on the L1 from this executor.",
        Kind::Gauge,
        [(b(), s.last_proposed_output as f64)],
    )
    .family(
        "minitia_executor_loop_errors",
        "Loops whose last attempt failed (the error is in /status).",
        Kind::Gauge,
        [(b(), s.errors.len() as f64)],
    );
    let subs: Vec<(&str, &SubmitterStatus)> =
        [("executor", &s.executor), ("proposer", &s.proposer)]
            .into_iter()
            .filter_map(|(r, x)| Some((r, x.as_ref()?)))
            .collect();
    minitia_chain::client::submitter_metrics(&mut e, "minitia_executor", &subs);
    e.finish()
}

/// Binds the API address.
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, BridgeError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| BridgeError::Bind {
            addr: addr.to_string(),
            source,
        })
}

/// `GET /withdrawal/{sequence}` of an executor API at `api` (e.g. `http://127.0.0.1:3000`):
/// the proof, or the API's error message.
pub async fn fetch_proof(api: &str, sequence: u64) -> Result<WithdrawalProof, String> {
    let (status, body) = http_get(api, &format!("/withdrawal/{sequence}")).await?;
    if status != 200 {
        let msg = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_string))
            .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
        return Err(format!("executor API {api}: HTTP {status}: {msg}"));
    }
    serde_json::from_slice(&body).map_err(|e| format!("executor API {api}: bad proof JSON: {e}"))
}

/// A plain HTTP/1.1 GET (`Connection: close`); returns the status and body.
pub async fn http_get(base: &str, path: &str) -> Result<(u16, Vec<u8>), String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    if base.starts_with("https://") {
        return Err(format!(
            "{base}: https is not supported by this client; use http://"
        ));
    }
    let io = |e: std::io::Error| format!("{base}: {e}");
    let mut s = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::TcpStream::connect(&host),
    )
    .await
    .map_err(|_| format!("{base}: connect timed out"))?
    .map_err(io)?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.map_err(io)?;
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut buf))
        .await
        .map_err(|_| format!("{base}: response timed out"))?
        .map_err(io)?;
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("{base}: malformed HTTP response"))?;
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("{base}: malformed HTTP status line"))?;
    let mut body = buf[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Ok((status, body))
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(i) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&b[..i]).trim(), 16).unwrap_or(0);
        if size == 0 || b.len() < i + 2 + size {
            break;
        }
        out.extend_from_slice(&b[i + 2..i + 2 + size]);
        b = &b[(i + 4 + size).min(b.len())..];
    }
    out
}
