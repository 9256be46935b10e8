//! The challenger process (`minitia challenger`): watches a bridge's output proposals on the
//! L1 against its own derivation of the chain, and proves wrong state transitions with
//! `MsgSubmitFraudProof`.
//!
//! The proof format, the pure verifier and the witness builder live in the
//! `minitia-fraud-proofs` crate (`fraud-proofs/`, read its crate docs); this module is only
//! the process wiring around it:
//!
//! 1. **derive** the chain into its own follower [`Node`] (own data dir) from the bridge's
//!    `MsgRecordBatch` records on the L1 and the batches on DA, like the
//!    [follower](crate::follower) — the same [`RecordSource`], DA client and batch
//!    [`Assembler`], blocks applied with [`Node::apply_block`]. Unlike the follower it keeps
//!    the decoded blocks above its tip in memory, so that after a fault it still has the
//!    headers `N ..= M` and the txs a proof needs.
//! 2. **check every output** (`/opinit.ophost.v1.Query/OutputProposals`) whose
//!    `l2_block_number` `M` it has derived: the expected root is OPinit's
//!    `sha3(1 ‖ storage_root ‖ hash(block M))`, where `storage_root` is the withdrawal tree of
//!    the output's interval (blocks after the previous output's `l2_block_number` up to `M`),
//!    built from the `initiate_token_withdrawal` events of the derived blocks exactly as the
//!    bridge executor builds it ([`crate::bridge::store::leaf`]). A mismatch is flagged.
//! 3. **on a state-root fault** — applying block `N+1` finds that its `app_hash` is not the
//!    root this node computed after block `N` — derivation halts at `N` and the challenger
//!    takes the first output with `first_block ≤ N < M` (`first_block`: the previous
//!    output's `l2_block_number`, 1 for the first), the headers `N ..= M` (block `N` from its
//!    store, the rest from the batches it fetched), the txs of `N`, and the recomputed
//!    storage root; it checks locally that `sha3(1 ‖ storage_root ‖ hash(M))` is the L1's
//!    root, builds the proof with [`build_proof`] over its store (version `N`, the state
//!    after `N-1`, is still retained: the node keeps `retained_versions` versions), verifies
//!    it with [`verify`] and only then submits `MsgSubmitFraudProof` through [`TxSubmitter`].
//!
//! 4. **on a wrong output root** over a correctly derived chain (the proposer posted a root
//!    that is not `sha3(1 ‖ storage_root ‖ hash(M))`): no state transition is wrong, so there
//!    is nothing for a fraud proof to show; the challenger, when its key is the bridge's
//!    configured challenger, deletes the output with OPinit's `MsgDeleteOutput` (bonded; the
//!    L1 refuses it for a finalized output), and the proposer re-proposes the interval.
//! 5. **liveness and availability** ([`Alarm`]s, reported, not provable): every L1 deposit
//!    finalized on the derived chain once and as initiated (`deposit_wrong`, `deposit_unknown`)
//!    and before the chain's block time runs [`ChallengerOptions::deposit_window`] past the
//!    moment it was seen (`deposit_late`); an output the challenger cannot derive for
//!    [`ChallengerOptions::data_window`] (`data_unavailable`: the batch was withheld); the
//!    derived chain running two submission intervals past the last output
//!    (`output_overdue`).
//!
//! Status (derived height, outputs checked, faults, proofs and their L1 results) is served as
//! JSON at `GET /status` ([`serve_status`]); every finding is logged too.
//!
//! Limits, stated plainly:
//! - withdrawals initiated in blocks *after* a faulty block `N` cannot be recomputed (this
//!   node's state diverges from the sequencer's from `N` on); the storage root is then built
//!   from the withdrawals up to `N`. If that does not anchor to the L1's root, the challenger
//!   reports it and submits nothing (a proof that does not anchor is refused by the L1 and
//!   costs the bond).
//! - faults other than a wrong state transition (bad signature, undecodable tx, broken
//!   linkage, an output whose root does not match a correctly derived chain) are flagged but
//!   cannot be proven with this proof format.
//! - the L1 cursor ([`CURSOR_FILE`]) is the L1 height of the first batch record whose blocks
//!   are not all applied yet; a restart resumes there (records re-read at that height are
//!   recognised and skipped).
//! - after an output deletion the sequencer rolled back for, records made before it are
//!   superseded above the rollback height ([`crate::follower::Deletion`]), as for followers:
//!   a challenger started afterwards derives the re-posted chain. One that derived the voided
//!   blocks stops with [`FollowerError::RolledBack`]; [`run_challenger_with`] then rolls its
//!   home back to the last output left (as `minitia rollback` does) and starts over on the
//!   re-posted chain, keeping its findings.

use std::{
    collections::{BTreeMap, BTreeSet},
    future::Future,
    path::Path,
    sync::{Arc, Mutex},
    time::Duration,
};

use cosmrs::Any;
use minitia_chain::{
    client::{GasPrice, RemoteChain, SubmitError, SubmitterConfig, TxSubmitter},
    node::{follow::FollowError, ChainApp, Node},
};
use minitia_core::{
    opinit::{output_root, WithdrawalTree, OUTPUT_VERSION},
    DaClient, DaError, Hash32,
};
use minitia_da::batch::{Assembler, BatchRecord};
use minitia_fraud_proofs::{build_proof, verify, Anchor, Verdict};
use prost::Message;
use serde::{Deserialize, Serialize};
use tendermint::block::{Block, Header};

use crate::follower::{
    rolled_back, superseded, Deletion, FollowerError, L1Position, L1Record, RecordSource,
};

/// Type URL of the L1's fraud-proof message (`l1-orchestrator`'s fraud module).
pub const MSG_SUBMIT_FRAUD_PROOF: &str = "/minitia.fraud.v1.MsgSubmitFraudProof";
const MAX_BATCH_RAW_LEN: usize = 1 << 30;

/// `minitia.fraud.v1.MsgSubmitFraudProof` (same fields and tags as the L1's definition).
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgSubmitFraudProof {
    /// Signer: a bonded challenger.
    #[prost(string, tag = "1")]
    pub challenger: String,
    /// Bridge of the challenged output.
    #[prost(uint64, tag = "2")]
    pub bridge_id: u64,
    /// Index of the challenged output.
    #[prost(uint64, tag = "3")]
    pub output_index: u64,
    /// The encoded `minitia_fraud_proofs::FraudProof`.
    #[prost(bytes = "vec", tag = "4")]
    pub proof: Vec<u8>,
}

/// One output as the challenger judged it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputCheck {
    /// Output index.
    pub index: u64,
    /// Its `l2_block_number`.
    pub l2_block_number: u64,
    /// The root the L1 stores (hex).
    pub l1_root: String,
    /// The root recomputed from the derived chain (hex).
    pub expected_root: String,
    /// Whether they agree.
    pub matches: bool,
}

/// A fault found while deriving.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultFinding {
    /// The disputed block (`N`: the block whose transition is wrong), or the refused block
    /// for faults that are not state transitions.
    pub height: u64,
    /// Whether it is a wrong state transition, which a fraud proof can prove.
    pub state_transition: bool,
    /// The node's error.
    pub reason: String,
}

/// A proof built (and possibly submitted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofSubmission {
    /// The challenged output.
    pub output_index: u64,
    /// The disputed block.
    pub height: u64,
    /// Encoded size.
    pub proof_bytes: usize,
    /// The local verdict (must be a fault before anything is sent).
    pub local_verdict: String,
    /// L1 tx hash, when sent.
    pub tx_hash: Option<String>,
    /// What the L1 answered (or why nothing was sent).
    pub l1_result: String,
    /// Whether the L1 proved the fault (deleted outputs, slashed the proposer).
    pub fault_proven: Option<bool>,
}

/// What `GET /status` shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengerStatus {
    /// The challenger's L1 address (empty: watch only, nothing is submitted).
    pub challenger: String,
    /// Bridge watched.
    pub bridge_id: u64,
    /// Latest derived L2 height.
    pub derived_height: u64,
    /// L1 height of the last batch record read.
    pub l1_height: u64,
    /// Decoded blocks held above the derived height.
    pub held_blocks: usize,
    /// Outputs checked against the derived chain.
    pub outputs_checked: u64,
    /// Outputs whose root disagrees with the derived chain.
    pub output_mismatches: u64,
    /// The latest check of each output, by index.
    pub outputs: Vec<OutputCheck>,
    /// Faults found (derivation halts at the first).
    pub faults: Vec<FaultFinding>,
    /// Proofs built and submitted.
    pub proofs: Vec<ProofSubmission>,
    /// Liveness and availability findings (deposits not finalized in time or wrongly,
    /// outputs over withheld data, outputs not proposed in time), one per subject.
    pub alarms: Vec<Alarm>,
    /// `MsgDeleteOutput`s for outputs whose root disagrees with the derived chain.
    pub deletions: Vec<DeletionSubmission>,
    /// Next L1 deposit sequence not yet seen finalized on the derived chain.
    pub next_deposit: u64,
    /// The last transient error (L1 or DA unavailable), cleared by a good poll.
    pub last_error: Option<String>,
    /// Times the challenger rolled its node back after the L1 deleted outputs over blocks
    /// it had derived ([`run_challenger_with`]).
    #[serde(default)]
    pub rollbacks: u64,
}

/// A finding that is not a wrong state transition: these are reported (status, logs,
/// metrics) but cannot be proven with a fraud proof.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alarm {
    /// `deposit_late`, `deposit_wrong`, `deposit_unknown`, `data_unavailable` or
    /// `output_overdue`.
    pub kind: String,
    /// What it is about (a deposit sequence, an output index, an L2 height).
    pub subject: u64,
    /// What was found.
    pub detail: String,
}

/// A `MsgDeleteOutput` sent (or not) for an output whose root is wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionSubmission {
    /// The output.
    pub output_index: u64,
    /// Its root on the L1 (hex).
    pub l1_root: String,
    /// L1 tx hash, when sent.
    pub tx_hash: Option<String>,
    /// What the L1 answered (or why nothing was sent).
    pub l1_result: String,
}

/// Shared with the status server.
pub type SharedStatus = Arc<Mutex<ChallengerStatus>>;

fn lock(s: &SharedStatus) -> std::sync::MutexGuard<'_, ChallengerStatus> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

/// Why the challenger stopped or paused.
#[derive(Debug, thiserror::Error)]
pub enum ChallengerError {
    /// Derivation (L1 records, DA, node) failed.
    #[error(transparent)]
    Derive(#[from] FollowerError),
    /// The L1's output proposals could not be read.
    #[error("L1 output proposals: {0}")]
    L1(String),
    /// Local failure (store, block store).
    #[error("challenger: {0}")]
    Local(String),
}

impl ChallengerError {
    fn is_retryable(&self) -> bool {
        match self {
            Self::Derive(e) => e.is_retryable(),
            Self::L1(_) => true,
            Self::Local(_) => false,
        }
    }
}

/// Challenger tuning.
#[derive(Debug, Clone)]
pub struct ChallengerOptions {
    /// Time between polls.
    pub poll_interval: Duration,
    /// Longest delay between retries while the L1 or DA is down.
    pub max_backoff: Duration,
    /// A deposit seen on the L1 must be finalized on the derived chain before the chain's
    /// block time advances this much past the moment it was seen (`deposit_late` otherwise).
    pub deposit_window: Duration,
    /// An output on the L1 whose block this challenger cannot derive for this long (wall
    /// clock) is over withheld or undecodable data (`data_unavailable`).
    pub data_window: Duration,
}

impl Default for ChallengerOptions {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            deposit_window: Duration::from_secs(120),
            data_window: Duration::from_secs(120),
        }
    }
}

/// The persisted L1 cursor (`challenger-cursor.json` in the data dir): where a restarted
/// challenger resumes reading batch records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Every batch record below this L1 height contributed only blocks already applied.
    pub l1_height: u64,
}

/// Deposit bookkeeping: the L1 deposits not yet seen finalized, and how far the derived
/// blocks were scanned for `finalize_token_deposit`.
#[derive(Debug, Default)]
struct Deposits {
    next: u64,
    l2_scanned: u64,
    l1: BTreeMap<u64, crate::bridge::executor::Deposit>,
    /// L2 block time (ns) of the derived tip when each deposit was first seen.
    seen: BTreeMap<u64, u64>,
}

/// An output as read from the L1.
#[derive(Debug, Clone, PartialEq, Eq)]
struct L1Output {
    index: u64,
    l2_block_number: u64,
    root: Vec<u8>,
}

#[derive(Debug, Clone)]
struct Fault {
    n: u64,
    state_transition: bool,
}

/// The challenger over a follower `node`, a [`RecordSource`], a DA client and the L1.
pub struct Challenger<A: ChainApp, S: RecordSource, D: DaClient> {
    node: Arc<Node<A>>,
    source: S,
    da: Option<D>,
    l1: RemoteChain,
    submitter: Option<Arc<TxSubmitter>>,
    bridge_id: u64,
    assembler: Assembler,
    blocks: BTreeMap<u64, Block>,
    /// Where each of `blocks` was recorded on the L1.
    block_positions: BTreeMap<u64, L1Position>,
    /// The bridge's output deletions: blocks recorded before one are void above its
    /// rollback height (the sequencer re-posts them).
    deletions: Vec<Deletion>,
    last_done: Option<L1Position>,
    fault: Option<Fault>,
    checked: BTreeMap<u64, Vec<u8>>,
    challenged: BTreeSet<(u64, Vec<u8>)>,
    status: SharedStatus,
    opts: ChallengerOptions,
    /// Records whose blocks are not all applied yet → the highest block each carried
    /// (`u64::MAX` while its batch is still being assembled).
    unapplied: BTreeMap<L1Position, u64>,
    assembling: Vec<L1Position>,
    cursor_file: Option<std::path::PathBuf>,
    cursor: Cursor,
    deposits: Deposits,
    /// Output index → when this challenger first saw it above its derivable height.
    above_tip: BTreeMap<u64, std::time::Instant>,
    alarmed: BTreeSet<(String, u64)>,
    /// Deletions already attempted, by (index, root).
    deleting: BTreeSet<(u64, Vec<u8>)>,
    bridge: Option<BridgeFacts>,
}

#[derive(Debug, Clone)]
struct BridgeFacts {
    challenger: String,
    submission_interval_nanos: u64,
}

impl<A: ChainApp + 'static, S: RecordSource, D: DaClient> Challenger<A, S, D> {
    /// A challenger deriving into `node` (opened with [`Node::open_follower`]) and watching
    /// `bridge_id`'s outputs on `l1`. Without a `submitter` it only watches and reports.
    pub fn new(
        node: Arc<Node<A>>,
        source: S,
        da: Option<D>,
        l1: RemoteChain,
        bridge_id: u64,
        submitter: Option<Arc<TxSubmitter>>,
    ) -> Result<Self, ChallengerError> {
        if !node.is_follower() {
            return Err(ChallengerError::Local(
                "the challenger's node must be opened as a follower".into(),
            ));
        }
        let status = Arc::new(Mutex::new(ChallengerStatus {
            challenger: submitter.as_ref().map(|s| s.address()).unwrap_or_default(),
            bridge_id,
            derived_height: node.height(),
            ..Default::default()
        }));
        Ok(Self {
            node,
            source,
            da,
            l1,
            submitter,
            bridge_id,
            assembler: Assembler::new(MAX_BATCH_RAW_LEN),
            blocks: BTreeMap::new(),
            block_positions: BTreeMap::new(),
            deletions: Vec::new(),
            last_done: None,
            fault: None,
            checked: BTreeMap::new(),
            challenged: BTreeSet::new(),
            status,
            opts: ChallengerOptions::default(),
            unapplied: BTreeMap::new(),
            assembling: Vec::new(),
            cursor_file: None,
            cursor: Cursor::default(),
            deposits: Deposits {
                next: 1,
                ..Default::default()
            },
            above_tip: BTreeMap::new(),
            alarmed: BTreeSet::new(),
            deleting: BTreeSet::new(),
            bridge: None,
        })
    }

    /// Persists the L1 cursor in `path` and resumes from the one saved there, so a restart
    /// does not rescan the L1 from height 1. Deposits are checked from the derived tip on
    /// after a restart (those finalized before it were checked by the previous run).
    pub fn with_cursor_file(mut self, path: std::path::PathBuf) -> Result<Self, ChallengerError> {
        match std::fs::read(&path) {
            Ok(b) => {
                self.cursor = serde_json::from_slice(&b).map_err(|e| {
                    ChallengerError::Local(format!(
                        "{} is corrupt ({e}); delete it to rescan the L1 from height 1",
                        path.display()
                    ))
                })?;
                tracing::info!(
                    l1_height = self.cursor.l1_height,
                    "challenger resumes from its saved L1 cursor"
                );
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(ChallengerError::Local(format!(
                    "cannot read {}: {e}",
                    path.display()
                )))
            }
        }
        if self.cursor.l1_height > 0 {
            self.deposits.l2_scanned = self.node.height();
            self.deposits.next = 0; // learnt from the derived chain's next finalized deposit
        }
        self.cursor_file = Some(path);
        Ok(self)
    }

    /// The saved cursor.
    pub fn cursor(&self) -> Cursor {
        self.cursor
    }

    /// Uses `opts`' windows for the liveness checks ([`Self::run`] sets them too).
    pub fn with_options(mut self, opts: ChallengerOptions) -> Self {
        self.opts = opts;
        self
    }

    /// The status, shared with [`serve_status`].
    pub fn status(&self) -> SharedStatus {
        self.status.clone()
    }

    /// Uses `status` (e.g. one already served) instead of its own.
    pub fn with_status(mut self, status: SharedStatus) -> Self {
        let cur = lock(&self.status).clone();
        *lock(&status) = cur;
        self.status = status;
        self
    }

    /// One round: read new records, derive what can be derived, check outputs, and prove a
    /// fault if one was found.
    pub async fn poll(&mut self) -> Result<(), ChallengerError> {
        let derive = self.derive().await;
        {
            let mut st = lock(&self.status);
            st.derived_height = self.node.height();
            st.held_blocks = self.blocks.len();
        }
        derive?;
        self.save_cursor()?;
        let outputs = self.outputs().await?;
        let wrong = self.check_outputs(&outputs)?;
        for o in wrong {
            self.delete_output(&o).await?;
        }
        if let Some(f) = self.fault.clone() {
            if f.state_transition {
                self.prove(f.n, &outputs).await?;
            }
        }
        self.check_data(&outputs);
        self.check_deposits().await?;
        self.check_schedule(&outputs).await?;
        Ok(())
    }

    /// Moves the cursor to the first record with unapplied blocks and saves it if it moved.
    fn save_cursor(&mut self) -> Result<(), ChallengerError> {
        let tip = self.node.height();
        self.unapplied.retain(|_, end| *end > tip);
        let safe = match (self.unapplied.keys().next(), self.assembling.first()) {
            (Some(a), Some(b)) => a.min(b).0,
            (Some(a), None) | (None, Some(a)) => a.0,
            (None, None) => match self.last_done {
                Some(p) => p.0 + 1,
                None => return Ok(()),
            },
        };
        if safe <= self.cursor.l1_height {
            return Ok(());
        }
        self.cursor.l1_height = safe;
        let Some(path) = &self.cursor_file else {
            return Ok(());
        };
        let tmp = path.with_extension("json.tmp");
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&serde_json::to_vec(&self.cursor).unwrap_or_default())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| {
            ChallengerError::Local(format!("cannot save the cursor to {}: {e}", path.display()))
        })
    }

    fn alarm(&mut self, kind: &str, subject: u64, detail: String) {
        if !self.alarmed.insert((kind.to_string(), subject)) {
            return;
        }
        tracing::error!(kind, subject, %detail, "challenger alarm");
        lock(&self.status).alarms.push(Alarm {
            kind: kind.into(),
            subject,
            detail,
        });
    }

    async fn bridge_facts(&mut self) -> Result<BridgeFacts, ChallengerError> {
        if let Some(b) = &self.bridge {
            return Ok(b.clone());
        }
        let r: crate::bridge::ophost::QueryBridgeResponse = self
            .l1
            .query_proto(
                crate::bridge::ophost::Q_BRIDGE,
                &crate::bridge::ophost::QueryBridgeRequest {
                    bridge_id: self.bridge_id,
                },
                None,
            )
            .await
            .map_err(|e| ChallengerError::L1(e.to_string()))?;
        let c = r.bridge_config.unwrap_or_default();
        let b = BridgeFacts {
            challenger: c.challenger,
            submission_interval_nanos: c
                .submission_interval
                .map_or(0, |d| d.as_nanos().max(0) as u64),
        };
        self.bridge = Some(b.clone());
        Ok(b)
    }

    fn block_time_nanos(&self, h: u64) -> Result<Option<u64>, ChallengerError> {
        Ok(self
            .header(h)?
            .map(|hd| hd.time.unix_timestamp_nanos().max(0) as u64))
    }

    /// An output the L1 holds whose block this challenger cannot derive after
    /// `data_window`: its batch was not posted (or not decodable) in time.
    fn check_data(&mut self, outputs: &[L1Output]) {
        if self.fault.is_some() {
            return; // derivation halted for a reason already reported
        }
        let tip = self.node.height();
        self.above_tip
            .retain(|i, _| outputs.iter().any(|o| o.index == *i));
        let window = self.opts.data_window;
        let mut late = Vec::new();
        for o in outputs.iter().filter(|o| o.l2_block_number > tip) {
            let seen = *self
                .above_tip
                .entry(o.index)
                .or_insert_with(std::time::Instant::now);
            if seen.elapsed() >= window {
                late.push(o.clone());
            }
        }
        for o in late {
            self.alarm(
                "data_unavailable",
                o.index,
                format!(
                    "output {} commits to L2 block {}, but the batches recorded on the L1 let this                      challenger derive only up to block {tip} after {window:?}: the batch data is                      withheld or undecodable, so the output cannot be checked",
                    o.index, o.l2_block_number
                ),
            );
        }
    }

    /// Every L1 deposit is finalized on the derived chain, once, as initiated, and in time.
    async fn check_deposits(&mut self) -> Result<(), ChallengerError> {
        use crate::bridge::executor::find_deposits;
        let tip = self.node.height();
        let from = self.deposits.next.max(1);
        if self.deposits.next > 0 {
            for d in find_deposits(&self.l1, self.bridge_id, from)
                .await
                .map_err(|e| ChallengerError::L1(e.to_string()))?
            {
                self.deposits.l1.entry(d.sequence).or_insert(d);
            }
        }
        for h in self.deposits.l2_scanned + 1..=tip {
            let finalized: Vec<_> = self
                .tx_events(h, "finalize_token_deposit")?
                .iter()
                .map(|ev| {
                    let a = |k: &str| event_attr(ev, k).to_string();
                    (
                        a("l1_sequence").parse::<u64>().unwrap_or(0),
                        a("recipient"),
                        a("amount"),
                        a("base_denom"),
                        a("denom"),
                    )
                })
                .collect();
            for (seq, to, amount, base_denom, denom) in finalized {
                if self.deposits.next == 0 {
                    self.deposits.next = seq; // first one seen after a restart
                }
                let d = match self.deposits.l1.get(&seq) {
                    Some(d) => Some(d.clone()),
                    None => find_deposits(&self.l1, self.bridge_id, seq)
                        .await
                        .map_err(|e| ChallengerError::L1(e.to_string()))?
                        .into_iter()
                        .find(|d| d.sequence == seq),
                };
                match d {
                    None => self.alarm(
                        "deposit_unknown",
                        seq,
                        format!(
                            "L2 block {h} finalizes deposit {seq} ({amount}{denom} to {to}), which                              bridge {} never initiated on the L1",
                            self.bridge_id
                        ),
                    ),
                    Some(d)
                        if d.to != to
                            || d.amount.to_string() != amount
                            || d.l1_denom != base_denom
                            || d.l2_denom != denom =>
                    {
                        self.alarm(
                            "deposit_wrong",
                            seq,
                            format!(
                                "L2 block {h} finalizes deposit {seq} as {amount}{denom} to {to}; the                                  L1 initiated {}{} ({}) to {}",
                                d.amount, d.l2_denom, d.l1_denom, d.to
                            ),
                        )
                    }
                    Some(_) => {}
                }
                self.deposits.next = self.deposits.next.max(seq + 1);
            }
            self.deposits.l2_scanned = h;
        }
        let next = self.deposits.next;
        self.deposits.l1 = self.deposits.l1.split_off(&next.max(1));
        self.deposits.seen.retain(|s, _| *s >= next);
        lock(&self.status).next_deposit = next;
        let Some(tip_time) = self.block_time_nanos(tip)? else {
            return Ok(());
        };
        let Some(d) = self.deposits.l1.get(&next).cloned() else {
            return Ok(());
        };
        let seen = *self.deposits.seen.entry(d.sequence).or_insert(tip_time);
        let window = self.opts.deposit_window;
        if tip_time.saturating_sub(seen) >= window.as_nanos() as u64 && self.fault.is_none() {
            self.alarm(
                "deposit_late",
                d.sequence,
                format!(
                    "deposit {} ({}{} to {}, L1 height {}) is not finalized on the L2: the derived                      chain advanced {window:?} of block time (to block {tip}) since it was seen",
                    d.sequence, d.amount, d.l1_denom, d.to, d.height
                ),
            );
        }
        Ok(())
    }

    /// Outputs keep up with the chain: the derived chain must not run more than two
    /// submission intervals of block time past the last output's block.
    async fn check_schedule(&mut self, outputs: &[L1Output]) -> Result<(), ChallengerError> {
        let tip = self.node.height();
        if tip < 2 || self.fault.is_some() {
            return Ok(());
        }
        let interval = self.bridge_facts().await?.submission_interval_nanos;
        if interval == 0 {
            return Ok(());
        }
        let base = outputs
            .iter()
            .map(|o| o.l2_block_number)
            .filter(|m| *m <= tip)
            .max()
            .unwrap_or(1);
        let (Some(t0), Some(t1)) = (self.block_time_nanos(base)?, self.block_time_nanos(tip)?)
        else {
            return Ok(());
        };
        if t1.saturating_sub(t0) > 2 * interval {
            self.alarm(
                "output_overdue",
                base,
                format!(
                    "no output after L2 block {base}, though the derived chain reached block {tip}                      {:?} of block time later; the bridge's submission interval is {:?}",
                    Duration::from_nanos(t1 - t0),
                    Duration::from_nanos(interval)
                ),
            );
        }
        Ok(())
    }

    /// `MsgDeleteOutput` for an output whose root is not the derived chain's (OPinit's
    /// challenger power: the bridge's configured challenger may delete an unfinalized
    /// output). Sent only when this challenger's key is the bridge's challenger.
    async fn delete_output(&mut self, o: &L1Output) -> Result<(), ChallengerError> {
        if !self.deleting.insert((o.index, o.root.clone())) {
            return Ok(());
        }
        let mut entry = DeletionSubmission {
            output_index: o.index,
            l1_root: hex::encode(&o.root),
            ..Default::default()
        };
        let Some(sub) = self.submitter.clone() else {
            entry.l1_result = "not sent: watch-only (no challenger key)".into();
            lock(&self.status).deletions.push(entry);
            return Ok(());
        };
        let facts = self.bridge_facts().await?;
        if sub.address() != facts.challenger {
            entry.l1_result = format!(
                "not sent: this challenger ({}) is not bridge {}'s challenger ({}), which alone                  (with the proposer and the authority) may delete outputs",
                sub.address(),
                self.bridge_id,
                facts.challenger
            );
            tracing::error!(index = o.index, "{}", entry.l1_result);
            lock(&self.status).deletions.push(entry);
            return Ok(());
        }
        let msg = crate::bridge::ophost::MsgDeleteOutput {
            challenger: sub.address(),
            bridge_id: self.bridge_id,
            output_index: o.index,
        };
        let any = Any {
            type_url: crate::bridge::ophost::MSG_DELETE_OUTPUT.into(),
            value: msg.encode_to_vec(),
        };
        match sub
            .submit(vec![any], "minitia challenger: wrong output root")
            .await
        {
            Ok(t) => {
                entry.tx_hash = Some(hex::encode_upper(t.hash.0));
                entry.l1_result = format!(
                    "included at L1 height {}: output {} and every later one deleted",
                    t.height, o.index
                );
                tracing::warn!(index = o.index, tx = ?entry.tx_hash, "wrong output deleted");
                self.checked.retain(|i, _| *i < o.index);
            }
            Err(e) => {
                entry.l1_result = format!("submission failed: {e}");
                if !matches!(e, SubmitError::Rejected { .. }) {
                    self.deleting.remove(&(o.index, o.root.clone()));
                }
                tracing::error!(index = o.index, "{}", entry.l1_result);
            }
        }
        lock(&self.status).deletions.push(entry);
        Ok(())
    }

    async fn derive(&mut self) -> Result<(), ChallengerError> {
        let from = self.last_done.map_or(self.cursor.l1_height.max(1), |p| p.0);
        self.deletions = self.source.deletions().await?;
        let voided: Vec<u64> = self
            .block_positions
            .iter()
            .filter(|(h, p)| superseded(&self.deletions, **p, **h).is_some())
            .map(|(h, _)| *h)
            .collect();
        for h in voided {
            self.blocks.remove(&h);
            self.block_positions.remove(&h);
        }
        let records = self.source.records(from).await?;
        for r in records {
            if self.last_done.is_some_and(|d| r.position <= d) {
                continue;
            }
            self.take_record(&r).await?;
            self.last_done = Some(r.position);
            lock(&self.status).l1_height = r.position.0;
        }
        self.apply_ready().await
    }

    async fn take_record(&mut self, r: &L1Record) -> Result<(), ChallengerError> {
        let Ok(record) = r.record.clone() else {
            // The follower halts on such a record; the challenger only needs the good ones.
            tracing::warn!(tx = %r.tx_hash, "ignoring an undecodable batch record");
            return Ok(());
        };
        let blobs = match record {
            BatchRecord::Inline { blob } => vec![blob],
            BatchRecord::Da {
                namespace,
                header,
                chunks,
                ..
            } => {
                let Some(da) = self.da.as_ref() else {
                    return Err(FollowerError::Config(format!(
                        "L1 tx {} records a batch on DA, but [da] rpc is empty",
                        r.tx_hash
                    ))
                    .into());
                };
                let mut blobs = Vec::with_capacity(chunks.len() + 1);
                for p in std::iter::once(header).chain(chunks) {
                    let blob = da.get(namespace, p).await.map_err(|e| match e {
                        DaError::NotFound(h) => FollowerError::Da(DaError::Unavailable(format!(
                            "blob recorded in L1 tx {} not found at DA height {h}",
                            r.tx_hash
                        ))),
                        other => FollowerError::Da(other),
                    })?;
                    blobs.push(blob);
                }
                blobs
            }
        };
        let tip = self.node.height();
        for blob in blobs {
            let batch = match self.assembler.push(&blob) {
                Ok(Some(b)) => {
                    for p in std::mem::take(&mut self.assembling) {
                        self.unapplied.insert(p, b.end);
                    }
                    let e = self.unapplied.entry(r.position).or_insert(0);
                    *e = (*e).max(b.end);
                    b
                }
                Ok(None) => {
                    if self.assembling.last() != Some(&r.position) {
                        self.assembling.push(r.position);
                    }
                    continue;
                }
                Err(e) => {
                    tracing::warn!(tx = %r.tx_hash, error = %e, "ignoring a bad batch blob");
                    continue;
                }
            };
            for (i, bytes) in batch.blocks.iter().enumerate() {
                let height = batch.start + i as u64;
                if superseded(&self.deletions, r.position, height).is_some() {
                    // Voided by a later output deletion: the re-posted chain replaces it.
                    continue;
                }
                if height <= tip {
                    // Already derived: a re-posted batch must carry the same block.
                    let ours = self.block_hash(height)?;
                    let theirs = <Block as tendermint_proto::Protobuf<
                        tendermint_proto::types::Block,
                    >>::decode_vec(bytes)
                    .ok()
                    .and_then(|b| Hash32::from_slice(b.header.hash().as_bytes()));
                    if ours != theirs {
                        // We derived blocks a deletion voided: not a fault of the new chain;
                        // this node must be rolled back to follow it.
                        if let Some(e) = rolled_back(&self.deletions, r.position, height, tip) {
                            return Err(e.into());
                        }
                    }
                    if ours != theirs && self.fault.is_none() {
                        self.found(
                            height,
                            false,
                            format!(
                                "batch {}..={} recorded in L1 tx {} carries a block {height} that \
                                 differs from the one already derived",
                                batch.start, batch.end, r.tx_hash
                            ),
                        );
                    }
                    continue;
                }
                match <Block as tendermint_proto::Protobuf<tendermint_proto::types::Block>>::decode_vec(bytes) {
                    Ok(b) if b.header.height.value() == height => {
                        self.blocks.entry(height).or_insert(b);
                        self.block_positions.entry(height).or_insert(r.position);
                    }
                    _ => tracing::warn!(height, "ignoring an undecodable block in a batch"),
                }
            }
        }
        Ok(())
    }

    async fn apply_ready(&mut self) -> Result<(), ChallengerError> {
        while self.fault.is_none() {
            let tip = self.node.height();
            self.blocks = self.blocks.split_off(&(tip + 1));
            self.block_positions = self.block_positions.split_off(&(tip + 1));
            let (Some(next), Some(after)) =
                (self.blocks.get(&(tip + 1)), self.blocks.get(&(tip + 2)))
            else {
                return Ok(());
            };
            let Some(commit) = after.last_commit.clone() else {
                self.found(
                    tip + 1,
                    false,
                    format!("block {} carries no last_commit", tip + 2),
                );
                return Ok(());
            };
            let node = self.node.clone();
            let block = next.clone();
            let r = tokio::task::spawn_blocking(move || node.apply_block(&block, &commit))
                .await
                .map_err(|e| ChallengerError::Local(format!("block application panicked: {e}")))?;
            match r {
                Ok(_) => {}
                Err(e) if e.is_fault() => {
                    let n = match &e {
                        FollowError::Mismatch { height, what, .. }
                            if what.starts_with("app_hash") && *height >= 2 =>
                        {
                            Some(*height - 1)
                        }
                        _ => None,
                    };
                    match n {
                        Some(n) => self.found(n, true, e.to_string()),
                        None => self.found(tip + 1, false, e.to_string()),
                    }
                }
                Err(e) => return Err(FollowerError::Apply(e).into()),
            }
        }
        Ok(())
    }

    fn found(&mut self, height: u64, state_transition: bool, reason: String) {
        tracing::error!(
            height,
            state_transition,
            %reason,
            "challenger: fault found, derivation halted"
        );
        self.fault = Some(Fault {
            n: height,
            state_transition,
        });
        lock(&self.status).faults.push(FaultFinding {
            height,
            state_transition,
            reason,
        });
    }

    async fn outputs(&self) -> Result<Vec<L1Output>, ChallengerError> {
        let all = crate::bridge::ophost::all_output_proposals(&self.l1, self.bridge_id)
            .await
            .map_err(|e| ChallengerError::L1(e.to_string()))?;
        let mut v: Vec<L1Output> = all
            .into_iter()
            .filter_map(|o| {
                let p = o.output_proposal?;
                Some(L1Output {
                    index: o.output_index,
                    l2_block_number: p.l2_block_number,
                    root: p.output_root,
                })
            })
            .collect();
        v.sort_by_key(|o| o.index);
        Ok(v)
    }

    /// The withdrawal-tree root of blocks `from ..= to` of the derived chain, as the bridge
    /// executor computes it (successful txs, `initiate_token_withdrawal` events in order).
    fn storage_root(&self, from: u64, to: u64) -> Result<Hash32, ChallengerError> {
        let mut leaves = Vec::new();
        for h in from..=to {
            for ev in self.tx_events(h, "initiate_token_withdrawal")? {
                let a = |k: &str| event_attr(&ev, k);
                let rec = crate::bridge::store::WithdrawalRecord {
                    sequence: a("l2_sequence").parse().unwrap_or(0),
                    from: a("from").into(),
                    to: a("to").into(),
                    amount: a("amount").parse().unwrap_or(0),
                    denom: a("denom").into(),
                    base_denom: a("base_denom").into(),
                    tx_hash: String::new(),
                    tx_height: h,
                    tx_time: String::new(),
                    output_index: None,
                };
                leaves.push(crate::bridge::store::leaf(self.bridge_id, &rec));
            }
        }
        Ok(WithdrawalTree::new(leaves).root())
    }

    /// The events of `kind` the successful txs of derived block `h` emitted, in order.
    fn tx_events(&self, h: u64, kind: &str) -> Result<Vec<minitia_core::Event>, ChallengerError> {
        let results = self
            .node
            .blocks()
            .results(h)
            .map_err(|e| ChallengerError::Local(e.to_string()))?
            .ok_or_else(|| ChallengerError::Local(format!("results of block {h} missing")))?;
        Ok(results
            .tx_results
            .into_iter()
            .filter(|r| r.code == 0)
            .flat_map(|r| r.events)
            .filter(|e| e.kind == kind)
            .collect())
    }

    fn block_hash(&self, h: u64) -> Result<Option<Hash32>, ChallengerError> {
        let id = self
            .node
            .block_id(h)
            .map_err(|e| ChallengerError::Local(e.to_string()))?;
        Ok(id.and_then(|id| Hash32::from_slice(id.hash.as_bytes())))
    }

    /// Checks the outputs the derived chain covers; returns those whose root is wrong.
    fn check_outputs(&mut self, outputs: &[L1Output]) -> Result<Vec<L1Output>, ChallengerError> {
        let mut wrong = Vec::new();
        let tip = self.node.height();
        let mut prev = 0;
        for o in outputs {
            let first = prev + 1;
            prev = o.l2_block_number;
            if o.l2_block_number > tip || self.checked.get(&o.index) == Some(&o.root) {
                continue;
            }
            let Some(hash) = self.block_hash(o.l2_block_number)? else {
                continue;
            };
            let storage = self.storage_root(first, o.l2_block_number)?;
            let expected = output_root(OUTPUT_VERSION, &storage, &hash);
            let matches = expected.0.as_slice() == o.root.as_slice();
            if matches {
                tracing::info!(
                    index = o.index,
                    l2_block = o.l2_block_number,
                    "output matches the derived chain"
                );
            } else {
                tracing::error!(
                    index = o.index,
                    l2_block = o.l2_block_number,
                    l1_root = %hex::encode(&o.root),
                    expected = %hex::encode(expected.0),
                    "output root does not match the derived chain"
                );
            }
            self.checked.insert(o.index, o.root.clone());
            let mut st = lock(&self.status);
            st.outputs_checked += 1;
            if !matches {
                st.output_mismatches += 1;
            }
            let c = OutputCheck {
                index: o.index,
                l2_block_number: o.l2_block_number,
                l1_root: hex::encode(&o.root),
                expected_root: hex::encode(expected.0),
                matches,
            };
            match st.outputs.iter_mut().find(|x| x.index == o.index) {
                Some(x) => *x = c,
                None => st.outputs.push(c),
            }
            if !matches {
                wrong.push(o.clone());
            }
        }
        Ok(wrong)
    }

    fn header(&self, h: u64) -> Result<Option<Header>, ChallengerError> {
        if let Some(b) = self.blocks.get(&h) {
            return Ok(Some(b.header.clone()));
        }
        Ok(self
            .node
            .blocks()
            .block(h)
            .map_err(|e| ChallengerError::Local(e.to_string()))?
            .map(|b| b.header))
    }

    /// Builds, checks and submits the proof that block `n` transitions state wrongly.
    async fn prove(&mut self, n: u64, outputs: &[L1Output]) -> Result<(), ChallengerError> {
        let mut prev = 0;
        let mut target = None;
        for o in outputs {
            let first_block = prev.max(1);
            let prev_l2 = prev + 1;
            prev = o.l2_block_number;
            if first_block <= n && n < o.l2_block_number {
                target = Some((o.clone(), first_block, prev_l2));
                break;
            }
        }
        let Some((o, first_block, interval_start)) = target else {
            return Ok(()); // no output commits to the fault yet
        };
        if self.challenged.contains(&(o.index, o.root.clone())) {
            return Ok(());
        }
        let m = o.l2_block_number;
        let mut headers = Vec::with_capacity((m - n + 1) as usize);
        for h in n..=m {
            match self.header(h)? {
                Some(hd) => headers.push(hd),
                None => return Ok(()), // batch not posted yet: try again next poll
            }
        }
        let txs: Vec<Vec<u8>> = self
            .node
            .blocks()
            .block(n)
            .map_err(|e| ChallengerError::Local(e.to_string()))?
            .ok_or_else(|| ChallengerError::Local(format!("block {n} missing from the store")))?
            .data;
        let storage_root = self.storage_root(interval_start, n)?;
        let chain_id = headers[0].chain_id.to_string();
        let hash_m =
            Hash32::from_slice(headers[headers.len() - 1].hash().as_bytes()).unwrap_or_default();
        let mut entry = ProofSubmission {
            output_index: o.index,
            height: n,
            ..Default::default()
        };
        self.challenged.insert((o.index, o.root.clone()));
        let anchored = output_root(OUTPUT_VERSION, &storage_root, &hash_m);
        if anchored.0.as_slice() != o.root.as_slice() {
            entry.l1_result = format!(
                "not submitted: the recomputed root {} of output {} (block {m}) is not the L1's {} \
                 (withdrawals after block {n} cannot be recomputed from a diverged state)",
                hex::encode(anchored.0),
                o.index,
                hex::encode(&o.root)
            );
            tracing::error!(index = o.index, "{}", entry.l1_result);
            lock(&self.status).proofs.push(entry);
            return Ok(());
        }
        let node = self.node.clone();
        let anchor = Anchor {
            chain_id: chain_id.clone(),
            output_root: anchored,
            l2_block_number: m,
            first_block,
        };
        let built = tokio::task::spawn_blocking(move || {
            let b = node.with_store(|s| build_proof(node.app(), s, headers, txs, storage_root));
            b.map(|b| {
                let v = verify(&b.proof, node.app(), &anchor);
                (b, v)
            })
        })
        .await
        .map_err(|e| ChallengerError::Local(format!("proof building panicked: {e}")))?;
        let (built, verdict) = match built {
            Ok(x) => x,
            Err(e) => {
                entry.l1_result = format!("not submitted: building the proof failed: {e}");
                tracing::error!(index = o.index, "{}", entry.l1_result);
                lock(&self.status).proofs.push(entry);
                return Ok(());
            }
        };
        let bytes = built.proof.encode();
        entry.proof_bytes = bytes.len();
        entry.local_verdict = format!("{verdict:?}");
        if !matches!(verdict, Verdict::Fault(_)) {
            entry.l1_result = "not submitted: the local verdict is not a fault".into();
            tracing::error!(index = o.index, verdict = ?verdict, "{}", entry.l1_result);
            lock(&self.status).proofs.push(entry);
            return Ok(());
        }
        tracing::warn!(
            index = o.index,
            block = n,
            bytes = bytes.len(),
            "fraud proof built and verified locally"
        );
        let Some(sub) = self.submitter.clone() else {
            entry.l1_result = "not submitted: watch-only (no challenger key)".into();
            lock(&self.status).proofs.push(entry);
            return Ok(());
        };
        let msg = MsgSubmitFraudProof {
            challenger: sub.address(),
            bridge_id: self.bridge_id,
            output_index: o.index,
            proof: bytes,
        };
        let any = Any {
            type_url: MSG_SUBMIT_FRAUD_PROOF.into(),
            value: msg.encode_to_vec(),
        };
        match sub.submit(vec![any], "minitia challenger").await {
            Ok(t) => {
                let proven = t.events.iter().any(|(k, _)| k == "fraud_proven");
                entry.tx_hash = Some(hex::encode_upper(t.hash.0));
                entry.fault_proven = Some(proven);
                entry.l1_result = format!(
                    "included at L1 height {}: {}",
                    t.height,
                    if proven {
                        "fault proven (outputs deleted, proposer slashed)"
                    } else {
                        "proof rejected"
                    }
                );
                tracing::warn!(index = o.index, proven, tx = ?entry.tx_hash, "fraud proof submitted");
            }
            Err(e) => {
                entry.l1_result = format!("submission failed: {e}");
                if !matches!(e, SubmitError::Rejected { .. }) {
                    // transient: allow a retry on the next poll
                    self.challenged.remove(&(o.index, o.root.clone()));
                }
                tracing::error!(index = o.index, "{}", entry.l1_result);
            }
        }
        lock(&self.status).proofs.push(entry);
        Ok(())
    }

    /// Polls until `shutdown` resolves; transient errors back off, others stop the loop
    /// (shown in the status) and are returned once `shutdown` resolves.
    pub async fn run(
        mut self,
        opts: ChallengerOptions,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), ChallengerError> {
        tokio::pin!(shutdown);
        self.opts = opts.clone();
        let mut delay = opts.poll_interval;
        loop {
            let r = tokio::select! {
                _ = &mut shutdown => return Ok(()),
                r = self.poll() => r,
            };
            let wait = match r {
                Ok(()) => {
                    delay = opts.poll_interval;
                    lock(&self.status).last_error = None;
                    opts.poll_interval
                }
                Err(e) if e.is_retryable() => {
                    tracing::warn!(error = %e, retry_in = ?delay, "challenger paused");
                    lock(&self.status).last_error = Some(e.to_string());
                    let w = delay;
                    delay = (delay * 2).min(opts.max_backoff);
                    w
                }
                Err(e @ ChallengerError::Derive(FollowerError::RolledBack { .. })) => {
                    // The caller rolls the node back (or the operator does): at once.
                    tracing::warn!(error = %e, "challenger stopped for a rollback");
                    lock(&self.status).last_error = Some(e.to_string());
                    return Err(e);
                }
                Err(e) => {
                    tracing::error!(error = %e, "challenger stopped");
                    lock(&self.status).last_error = Some(e.to_string());
                    shutdown.await;
                    return Err(e);
                }
            };
            tokio::select! {
                _ = &mut shutdown => return Ok(()),
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// `GET /metrics` of the challenger: what it derived and checked, and what it found.
pub fn challenger_metrics(s: &ChallengerStatus) -> String {
    use minitia_core::metrics::{Exposition, Kind};
    let b = || vec![("bridge_id", s.bridge_id.to_string())];
    let mut alarms: BTreeMap<&str, u64> = BTreeMap::new();
    for a in &s.alarms {
        *alarms.entry(a.kind.as_str()).or_default() += 1;
    }
    Exposition::new()
        .family(
            "minitia_challenger_derived_height",
            "Latest L2 height derived from the L1 and DA and re-executed.",
            Kind::Gauge,
            [(b(), s.derived_height as f64)],
        )
        .family(
            "minitia_challenger_l1_height",
            "L1 height of the last batch record read.",
            Kind::Gauge,
            [(b(), s.l1_height as f64)],
        )
        .family(
            "minitia_challenger_outputs_checked",
            "Outputs checked against the derived chain.",
            Kind::Gauge,
            [(b(), s.outputs_checked as f64)],
        )
        .family(
            "minitia_challenger_output_mismatches",
            "Outputs whose root disagrees with the derived chain.",
            Kind::Gauge,
            [(b(), s.output_mismatches as f64)],
        )
        .family(
            "minitia_challenger_faults",
            "Wrong state transitions found.",
            Kind::Gauge,
            [(b(), s.faults.len() as f64)],
        )
        .family(
            "minitia_challenger_challenges",
            "Challenges submitted to the L1, by kind (fraud proof, output deletion).",
            Kind::Gauge,
            [
                (
                    [b(), vec![("kind", "fraud_proof".to_string())]].concat(),
                    s.proofs.len() as f64,
                ),
                (
                    [b(), vec![("kind", "delete_output".to_string())]].concat(),
                    s.deletions.len() as f64,
                ),
            ],
        )
        .family(
            "minitia_challenger_alarms",
            "Liveness and availability alarms raised, by kind.",
            Kind::Gauge,
            alarms
                .iter()
                .map(|(k, n)| ([b(), vec![("kind", k.to_string())]].concat(), *n as f64))
                .collect::<Vec<_>>(),
        )
        .family(
            "minitia_challenger_unavailable",
            "1 while the L1 or the DA node does not answer.",
            Kind::Gauge,
            [(b(), f64::from(u8::from(s.last_error.is_some())))],
        )
        .finish()
}

/// Serves `GET /status` (the [`ChallengerStatus`] as JSON) and `GET /metrics` until
/// `shutdown` resolves.
pub async fn serve_status(
    status: SharedStatus,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::{routing::get, Json};
    let m = status.clone();
    let app = axum::Router::new()
        .route(
            "/status",
            get(move || {
                let s = lock(&status).clone();
                async move { Json(s) }
            }),
        )
        .route(
            "/metrics",
            get(move || {
                let text = challenger_metrics(&lock(&m));
                async move { crate::metrics_response(text) }
            }),
        );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// A [`TxSubmitter`] on the L1 `[l1]` names, signing with `key`.
pub async fn l1_submitter(
    config: &crate::config::NodeConfig,
    key: cosmrs::crypto::secp256k1::SigningKey,
) -> Result<TxSubmitter, String> {
    let chain = RemoteChain::new(&config.l1.rpc).map_err(|e| e.to_string())?;
    let chain_id = if config.l1.chain_id.is_empty() {
        chain
            .chain_id()
            .await
            .map_err(|e| format!("asking the L1 for its chain id: {e}"))?
    } else {
        config.l1.chain_id.clone()
    };
    let gas_price: GasPrice = config
        .l1
        .gas_price
        .parse()
        .map_err(|e: String| format!("[l1] gas_price: {e}"))?;
    TxSubmitter::new(
        chain,
        key,
        SubmitterConfig::new(chain_id, config.l1.bech32_prefix.clone(), gas_price),
    )
    .map_err(|e| e.to_string())
}

/// Runs the challenger of `home` (its own data dir and the chain's genesis), reading the L1
/// and DA `config` names and signing proofs with `key` (`None`: watch only), with the status
/// on `status_listener`, until `shutdown` resolves. Re-executes with the Cosmos minitia's
/// engine ([`crate::run::cosmos_app`] without extra modules); [`run_challenger_with`] takes
/// the engine of another kind.
pub async fn run_challenger(
    home: &Path,
    config: &crate::config::NodeConfig,
    key: Option<cosmrs::crypto::secp256k1::SigningKey>,
    status_listener: tokio::net::TcpListener,
    opts: ChallengerOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), crate::run::RunError> {
    run_challenger_with(
        home,
        config,
        |c| crate::run::cosmos_app(c, vec![]),
        key,
        status_listener,
        opts,
        shutdown,
    )
    .await
}

/// [`run_challenger`] re-executing with the engine `make_app` builds: it must be the one the
/// minitia's sequencer runs (the EVM or Move minitia's), or the challenger disagrees with
/// every honest block that uses a module it lacks.
///
/// When the L1 deleted outputs over blocks its node had derived and the sequencer re-posted
/// its chain ([`FollowerError::RolledBack`]), the challenger rolls its home back to the last
/// output left exactly as `minitia rollback` does ([`crate::recovery::rollback_home`]),
/// reopens its node and checks the re-posted chain; the status keeps its findings and counts
/// `rollbacks`.
pub async fn run_challenger_with<A, F>(
    home: &Path,
    config: &crate::config::NodeConfig,
    make_app: F,
    key: Option<cosmrs::crypto::secp256k1::SigningKey>,
    status_listener: tokio::net::TcpListener,
    opts: ChallengerOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), crate::run::RunError>
where
    A: ChainApp + 'static,
    F: Fn(minitia_chain::app::AppConfig) -> A + Clone + Send + 'static,
{
    use crate::run::RunError;
    if config.l1.rpc.is_empty() || config.l1.bridge_id == 0 {
        return Err(RunError::Other(
            "the challenger watches a bridge on the L1: set [l1] rpc and bridge_id in minitia.toml"
                .into(),
        ));
    }
    // The challenger reads its blocks' results directly and never searches its node, so it
    // skips the event index (~30% of storing a block) unless the config asks for it.
    let mut config = config.clone();
    if config.rpc.tx_index == crate::config::TxIndexer::Auto {
        config.rpc.tx_index = crate::config::TxIndexer::Null;
    }
    let config = &config;
    let l1 = RemoteChain::new(&config.l1.rpc).map_err(|e| RunError::Other(e.to_string()))?;
    let genesis = minitia_chain::node::genesis::GenesisDoc::load(&config.genesis_path(home))?;
    let submitter = match key {
        Some(k) => Some(Arc::new(
            l1_submitter(config, k).await.map_err(RunError::Other)?,
        )),
        None => None,
    };
    let down_rx = crate::follower::shutdown_flag(shutdown);
    // One status, served for the whole process: findings survive a rollback of the node.
    let status = SharedStatus::default();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let server = tokio::spawn(serve_status(
        status.clone(),
        status_listener,
        crate::follower::flag_set(stop_rx),
    ));
    let result = async {
        loop {
            let node =
                crate::follower::open_follower_node_async(home, config, make_app.clone()).await?;
            let source = crate::follower::L1Records::for_bridge(l1.clone(), config.l1.bridge_id)
                .await
                .map_err(|e| RunError::Other(e.to_string()))?;
            let da = crate::follower::da_client(config, &genesis.chain_id)?;
            let weak = Arc::downgrade(&node);
            let kept = lock(&status).clone();
            let c = Challenger::new(
                node,
                source,
                da,
                l1.clone(),
                config.l1.bridge_id,
                submitter.clone(),
            )
            .and_then(|c| c.with_cursor_file(config.data_dir(home).join(CURSOR_FILE)))
            .map_err(|e| RunError::Other(e.to_string()))?
            .with_status(status.clone());
            {
                // The checks start over on the (re-posted) chain; the findings stay.
                let mut st = lock(&status);
                st.faults = kept.faults;
                st.proofs = kept.proofs;
                st.deletions = kept.deletions;
                st.alarms = kept.alarms;
                st.rollbacks = kept.rollbacks;
            }
            tracing::info!(bridge_id = config.l1.bridge_id, "challenger started");
            let to =
                match c
                    .run(opts.clone(), crate::follower::flag_set(down_rx.clone()))
                    .await
                {
                    Err(ChallengerError::Derive(FollowerError::RolledBack {
                        rollback_to, ..
                    })) if !*down_rx.borrow() => rollback_to,
                    r => return r.map_err(|e| RunError::Other(format!("challenger stopped: {e}"))),
                };
            tracing::warn!(
                to_height = to,
                "rolling the challenger's node back to the last output the L1 kept"
            );
            // `run` consumed the challenger and with it the node.
            let r =
                crate::recovery::rollback_released_home(home, config, make_app.clone(), weak, to)
                    .await?;
            tracing::warn!(
                from = r.node.from_height,
                to = r.node.to_height,
                "challenger rolled back; checking the re-posted chain"
            );
            lock(&status).rollbacks += 1;
        }
    }
    .await;
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    result
}

/// The challenger's L1 cursor, in the data dir ([`Cursor`]).
pub const CURSOR_FILE: &str = "challenger-cursor.json";

/// The key the injected bogus write goes to (outside every module's prefix).
pub const INJECTED_FAULT_KEY: &[u8] = b"fault-injection/wrong-state";

/// Whether `genesis` (the genesis file as JSON) is a dev chain: `app_state.minitia.dev` is
/// `true` (written by `minitia new --dev` and localnet). Fault injection runs only there.
pub fn is_dev_chain(genesis: &serde_json::Value) -> bool {
    genesis["app_state"]["minitia"]["dev"].as_bool() == Some(true)
}

/// Makes `node`'s producer apply a wrong state transition at block `height` (one bogus write,
/// so header `height + 1`'s `app_hash` is wrong) — for exercising challengers. Refused unless
/// `genesis` is a dev chain ([`is_dev_chain`]) and `height ≥ 1`; nothing changes then.
pub fn inject_wrong_state<A: ChainApp>(
    node: &Node<A>,
    genesis: &serde_json::Value,
    height: u64,
) -> Result<(), String> {
    if !is_dev_chain(genesis) {
        return Err(format!(
            "refusing to inject a wrong state transition at height {height}: this is not a dev \
             chain (genesis app_state.minitia.dev is not true); fault injection is only for dev \
             chains created with `minitia new --dev` or by localnet"
        ));
    }
    if height == 0 {
        return Err("fault injection height must be at least 1".into());
    }
    if height <= node.height() {
        return Err(format!(
            "fault injection height {height} is not above the chain's height {}",
            node.height()
        ));
    }
    node.inject_wrong_state(minitia_chain::node::InjectedWrite {
        height,
        key: INJECTED_FAULT_KEY.to_vec(),
        value: height.to_be_bytes().to_vec(),
    });
    Ok(())
}

/// Marks the genesis file at `path` a dev chain (`app_state.minitia.dev = true`, see
/// [`is_dev_chain`]). For `minitia new --dev`; do it before the node's first start.
pub fn mark_dev_chain(path: &Path) -> Result<(), String> {
    let err = |e: String| format!("{}: {e}", path.display());
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let mut g: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| err(format!("not JSON: {e}")))?;
    let minitia = g
        .get_mut("app_state")
        .and_then(|a| a.as_object_mut())
        .ok_or_else(|| err("genesis has no app_state object".into()))?
        .entry("minitia")
        .or_insert_with(|| serde_json::json!({}));
    minitia
        .as_object_mut()
        .ok_or_else(|| err("app_state.minitia is not an object".into()))?
        .insert("dev".into(), serde_json::Value::Bool(true));
    let out = serde_json::to_vec_pretty(&g).map_err(|e| err(e.to_string()))?;
    std::fs::write(path, out).map_err(|e| err(e.to_string()))
}

/// Value of attribute `key` of `ev` ("" when absent).
fn event_attr<'a>(ev: &'a minitia_core::Event, key: &str) -> &'a str {
    ev.attributes
        .iter()
        .find(|x| x.key == key)
        .map_or("", |x| x.value.as_str())
}
