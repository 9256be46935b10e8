//! The follower: derives the L2 chain from the L1 and DA alone, never talking to the
//! sequencer, and serves the same read-only RPC.
//!
//! Derivation, in L1 order:
//! 1. read the bridge's `MsgRecordBatch` txs from the L1 ([`l1::L1Records`], only those
//!    signed by the bridge's batch submitter); each `batch_bytes` is a
//!    [`BatchRecord`](minitia_da::batch::BatchRecord);
//! 2. a `Da` record: fetch the header and chunk blobs from DA; an `Inline` record (failover,
//!    or a chain without DA) carries one blob itself;
//! 3. feed the blobs to an [`Assembler`], which checks every chunk against the header and
//!    yields whole batches; each block is the CometBFT protobuf `Block`;
//! 4. apply block `h` with [`Node::apply_block`] once block `h + 1` is known, since the
//!    sequencer's signature of `h` travels in `h + 1`'s `last_commit`. The node re-executes
//!    it and checks hashes, signature and state roots.
//!
//! The L1 cursor (the L1 height to rescan from: the first record of the oldest batch not yet
//! fully applied) is persisted after each poll, so a restart resumes; blocks already applied
//! are checked against the stored ones (identical → skipped, different → halt). A faulty
//! record, batch or block halts derivation with an error that names it; the RPC keeps serving
//! and `GET /follower_status` shows the derived height, the cursor and the error.

pub mod l1;
mod rpc;

use std::{
    collections::BTreeMap,
    future::Future,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use minitia_chain::{
    app::AppConfig,
    client::RemoteChain,
    node::{
        follow::{sequencer_key, Applied, FollowError},
        ChainApp, Node,
    },
};
use minitia_core::{DaClient, DaError};
use minitia_da::batch::{Assembler, BatchRecord, DecodedBatch};
use serde::{Deserialize, Serialize};
use tendermint::block::Block;

pub use l1::{rolled_back, superseded, Deletion, L1Position, L1Record, L1Records, RecordSource};
pub use rpc::{router, serve_rpc};

use crate::{batcher::LazyCelestiaDa, config::NodeConfig, run::RunError};

/// Largest decompressed batch accepted (a hostile batch cannot exhaust memory).
const MAX_BATCH_RAW_LEN: usize = 1 << 30;
const CURSOR_FILE: &str = "follower.json";

/// Why derivation stopped or paused.
#[derive(Debug, thiserror::Error)]
pub enum FollowerError {
    /// The L1 could not be read; retried.
    #[error("L1: {0}")]
    L1(String),
    /// DA could not be read; retried when retryable.
    #[error("DA: {0}")]
    Da(#[from] DaError),
    /// A record from the bridge's submitter is not a valid batch record.
    #[error("batch record in L1 tx {tx_hash} at L1 height {l1_height} is invalid: {reason}")]
    BadRecord {
        /// L1 height of the tx.
        l1_height: u64,
        /// L1 tx hash.
        tx_hash: String,
        /// What is wrong.
        reason: String,
    },
    /// A batch's blobs are corrupt or do not decode.
    #[error("batch recorded in L1 tx {tx_hash} at L1 height {l1_height} is bad: {reason}")]
    BadBatch {
        /// L1 height of the record that completed (or broke) it.
        l1_height: u64,
        /// L1 tx hash.
        tx_hash: String,
        /// What is wrong (names the batch's L2 heights).
        reason: String,
    },
    /// A block inside a batch is malformed or conflicts with one already derived.
    #[error("block {height} of batch {start}..={end}: {reason}")]
    BadBlock {
        /// L2 height.
        height: u64,
        /// First L2 height of the batch.
        start: u64,
        /// Last L2 height of the batch.
        end: u64,
        /// What is wrong.
        reason: String,
    },
    /// The node refused a block (hash, signature or state root mismatch) or failed.
    #[error(transparent)]
    Apply(#[from] FollowError),
    /// The L1 deleted outputs and the sequencer re-posted its chain from `rollback_to`, but
    /// this follower already applied blocks of the voided chain above it. Derivation stops;
    /// the node must be rolled back, which [`run_follower_home`] and the challenger process
    /// do live.
    #[error(
        "the L1 deleted outputs from index {output_index} (L1 height {l1_height}) and the \
         sequencer re-posted its chain from L2 height {}, but this follower already applied \
         voided blocks up to {tip}: stop it, run `minitia rollback --home <home> --to-height \
         {rollback_to}` and start it again (it then follows the re-posted chain)",
        rollback_to + 1
    )]
    RolledBack {
        /// First deleted output.
        output_index: u64,
        /// L1 height of the deletion.
        l1_height: u64,
        /// L2 height to roll back to.
        rollback_to: u64,
        /// The follower's tip.
        tip: u64,
    },
    /// The follower is misconfigured.
    #[error("follower config: {0}")]
    Config(String),
    /// The cursor file could not be read or written.
    #[error("follower cursor {path}: {reason}")]
    Cursor {
        /// File.
        path: String,
        /// Cause.
        reason: String,
    },
}

impl FollowerError {
    /// True when the data on the L1/DA is wrong or diverges from what this node computes:
    /// derivation halts and never skips it.
    pub fn is_fault(&self) -> bool {
        match self {
            Self::BadRecord { .. } | Self::BadBatch { .. } | Self::BadBlock { .. } => true,
            Self::Apply(e) => e.is_fault(),
            Self::Da(DaError::Rejected(_)) => false,
            _ => false,
        }
    }

    /// True when waiting and retrying may help (L1 or DA unreachable, a blob not there yet).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::L1(_) | Self::Da(_))
    }
}

/// What the follower reports (`GET /follower_status`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowerStatus {
    /// Latest derived (applied) L2 height.
    pub height: u64,
    /// L1 height derivation resumes from after a restart.
    pub l1_cursor: u64,
    /// L1 height of the last record processed.
    pub l1_height: u64,
    /// Records processed since start.
    pub records: u64,
    /// Decoded blocks waiting to be applied (the newest waits for its commit in the next).
    pub buffered_blocks: usize,
    /// Batches with some blobs seen, as `[start, end]`.
    pub incomplete_batches: Vec<(u64, u64)>,
    /// The batch submitter whose records count.
    pub submitter: String,
    /// The last error (retryable ones clear on the next good poll).
    pub last_error: Option<String>,
    /// Derivation stopped at a fault; restart after fixing the cause.
    pub halted: bool,
    /// Times this follower rolled itself back after the L1 deleted outputs over blocks it
    /// had derived (see [`run_follower_home`]).
    #[serde(default)]
    pub rollbacks: u64,
}

/// Shared, read by the RPC.
pub type SharedStatus = Arc<Mutex<FollowerStatus>>;

fn lock(s: &SharedStatus) -> std::sync::MutexGuard<'_, FollowerStatus> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CursorFile {
    version: u32,
    resume_l1_height: u64,
}

struct Buffered {
    block: Block,
    first_l1: u64,
    batch: (u64, u64),
    position: L1Position,
}

/// Follower tuning.
#[derive(Debug, Clone)]
pub struct FollowerOptions {
    /// Time between polls of the L1 when caught up (and the first retry delay).
    pub poll_interval: Duration,
    /// Longest delay between retries while the L1 or DA is down.
    pub max_backoff: Duration,
}

impl Default for FollowerOptions {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// Derives a chain into a follower [`Node`] from a [`RecordSource`] and a [`DaClient`].
pub struct Deriver<A: ChainApp, S: RecordSource, D: DaClient> {
    node: Arc<Node<A>>,
    source: S,
    da: Option<D>,
    cursor_path: PathBuf,
    assembler: Assembler,
    batch_first_l1: BTreeMap<(u64, u64), u64>,
    buffer: BTreeMap<u64, Buffered>,
    last_done: Option<L1Position>,
    resume_from: u64,
    status: SharedStatus,
    deletions: Vec<Deletion>,
}

impl<A: ChainApp, S: RecordSource, D: DaClient> Deriver<A, S, D> {
    /// A deriver for the follower `node`, reading records from `source` and blobs from `da`
    /// (`None`: the chain posts batches to the L1 only; a `Da` record is then an error). The
    /// cursor lives in `data_dir`.
    pub fn new(
        node: Arc<Node<A>>,
        source: S,
        da: Option<D>,
        data_dir: &Path,
    ) -> Result<Self, FollowerError> {
        if !node.is_follower() {
            return Err(FollowerError::Config(
                "the node was not opened as a follower".into(),
            ));
        }
        let cursor_path = data_dir.join(CURSOR_FILE);
        let cursor = read_cursor(&cursor_path)?;
        let status = Arc::new(Mutex::new(FollowerStatus {
            height: node.height(),
            l1_cursor: cursor.resume_l1_height,
            ..Default::default()
        }));
        Ok(Self {
            node,
            source,
            da,
            cursor_path,
            assembler: Assembler::new(MAX_BATCH_RAW_LEN),
            batch_first_l1: BTreeMap::new(),
            buffer: BTreeMap::new(),
            last_done: None,
            resume_from: cursor.resume_l1_height,
            status,
            deletions: Vec::new(),
        })
    }

    /// The status, shared with the RPC.
    pub fn status(&self) -> SharedStatus {
        self.status.clone()
    }

    /// Sets the submitter shown in the status.
    pub fn set_submitter(&self, submitter: &str) {
        lock(&self.status).submitter = submitter.to_string();
    }

    /// Reads new records once and applies every block it can. Returns the derived height.
    pub async fn poll(&mut self) -> Result<u64, FollowerError> {
        let from = self.last_done.map_or(self.resume_from, |p| p.0);
        // Deletions first: a record read now can only be voided by a deletion already made.
        self.deletions = self.source.deletions().await?;
        let deletions = &self.deletions;
        self.buffer
            .retain(|h, b| superseded(deletions, b.position, *h).is_none());
        let records = self.source.records(from).await?;
        let result = self.process_all(records).await;
        self.save_cursor()?;
        let mut st = lock(&self.status);
        st.height = self.node.height();
        st.buffered_blocks = self.buffer.len();
        st.incomplete_batches = self.assembler.incomplete();
        drop(st);
        result.map(|()| self.node.height())
    }

    async fn process_all(&mut self, records: Vec<L1Record>) -> Result<(), FollowerError> {
        for r in records {
            if self.last_done.is_some_and(|d| r.position <= d) {
                continue;
            }
            self.process(&r).await?;
            self.last_done = Some(r.position);
            let mut st = lock(&self.status);
            st.l1_height = r.position.0;
            st.records += 1;
        }
        Ok(())
    }

    async fn process(&mut self, r: &L1Record) -> Result<(), FollowerError> {
        let (l1_height, tx_hash) = (r.position.0, r.tx_hash.clone());
        let bad_record = |reason: String| FollowerError::BadRecord {
            l1_height,
            tx_hash: tx_hash.clone(),
            reason,
        };
        let record = r.record.clone().map_err(&bad_record)?;
        let range = record.range().map_err(|e| bad_record(e.to_string()))?;
        self.batch_first_l1.entry(range).or_insert(l1_height);
        let bad_batch = |reason: String| FollowerError::BadBatch {
            l1_height,
            tx_hash: tx_hash.clone(),
            reason,
        };
        let blobs = match record {
            BatchRecord::Inline { blob } => vec![blob],
            BatchRecord::Da {
                namespace,
                header,
                chunks,
                ..
            } => {
                let da = self.da.as_ref().ok_or_else(|| {
                    FollowerError::Config(format!(
                        "L1 tx {tx_hash} records batch {}..={} on DA, but [da] rpc is empty; \
                         set it to a celestia-node (or minitia-da) URL",
                        range.0, range.1
                    ))
                })?;
                let mut blobs = Vec::with_capacity(chunks.len() + 1);
                for p in std::iter::once(header).chain(chunks) {
                    let blob = da.get(namespace, p).await.map_err(|e| match e {
                        DaError::NotFound(h) => FollowerError::Da(DaError::Unavailable(format!(
                            "blob {} of batch {}..={} not found at DA height {h} (recorded in L1 tx {tx_hash})",
                            hex::encode(p.commitment.0),
                            range.0,
                            range.1
                        ))),
                        other => FollowerError::Da(other),
                    })?;
                    blobs.push(blob);
                }
                blobs
            }
        };
        let is_da = matches!(r.record, Ok(BatchRecord::Da { .. }));
        let mut completed = false;
        for blob in blobs {
            if let Some(batch) = self
                .assembler
                .push(&blob)
                .map_err(|e| bad_batch(e.to_string()))?
            {
                if (batch.start, batch.end) != range {
                    return Err(bad_batch(format!(
                        "record is for batch {}..={} but its blobs complete batch {}..={}",
                        range.0, range.1, batch.start, batch.end
                    )));
                }
                completed = true;
                self.take_batch(batch, r.position)?;
            }
        }
        if is_da && !completed {
            return Err(bad_batch(format!(
                "the DA blobs of batch {}..={} do not form a complete batch",
                range.0, range.1
            )));
        }
        self.apply_ready().await
    }

    fn take_batch(
        &mut self,
        batch: DecodedBatch,
        position: L1Position,
    ) -> Result<(), FollowerError> {
        let key = (batch.start, batch.end);
        let first_l1 = self.batch_first_l1.remove(&key).unwrap_or(0);
        let tip = self.node.height();
        for (i, bytes) in batch.blocks.iter().enumerate() {
            let height = batch.start + i as u64;
            let bad = |reason: String| FollowerError::BadBlock {
                height,
                start: batch.start,
                end: batch.end,
                reason,
            };
            let block =
                <Block as tendermint_proto::Protobuf<tendermint_proto::types::Block>>::decode_vec(
                    bytes,
                )
                .map_err(|e| bad(format!("not a CometBFT block: {e}")))?;
            if block.header.height.value() != height {
                return Err(bad(format!(
                    "holds a block of height {}",
                    block.header.height
                )));
            }
            let hash = block.header.hash();
            if superseded(&self.deletions, position, height).is_some() {
                // Voided by a later output deletion: the re-posted chain replaces it.
                continue;
            }
            if height <= tip {
                let ours = self
                    .node
                    .block_id(height)
                    .map_err(FollowError::from)?
                    .map(|id| id.hash);
                if ours != Some(hash) {
                    // A live record that differs from what we applied: we applied blocks that
                    // a deletion since voided (they came before it).
                    if let Some(e) = rolled_back(&self.deletions, position, height, tip) {
                        return Err(e);
                    }
                    return Err(bad(format!(
                        "hash {hash} differs from the already derived block {}; a batch that \
                         posts derived heights again with other blocks, with no output deletion on \
                         the L1 that voids them, is the sequencer equivocating (derivation stops \
                         here)",
                        ours.map_or("none".into(), |h| h.to_string())
                    )));
                }
                continue;
            }
            if let Some(b) = self.buffer.get(&height) {
                let have = b.block.header.hash();
                if have == hash {
                    continue;
                }
                if superseded(&self.deletions, b.position, height).is_none() {
                    return Err(bad(format!(
                        "hash {hash} differs from block {have} of batch {}..={} recorded earlier",
                        b.batch.0, b.batch.1
                    )));
                }
                // Buffered from a record a deletion has voided since: replace it and
                // everything buffered above it.
                drop(self.buffer.split_off(&height));
            }
            self.buffer.insert(
                height,
                Buffered {
                    block,
                    first_l1,
                    batch: key,
                    position,
                },
            );
        }
        Ok(())
    }

    /// Applies every buffered block whose commit is known (in the next block).
    async fn apply_ready(&mut self) -> Result<(), FollowerError> {
        loop {
            let tip = self.node.height();
            self.buffer = self.buffer.split_off(&(tip + 1));
            let (Some(next), Some(after)) =
                (self.buffer.get(&(tip + 1)), self.buffer.get(&(tip + 2)))
            else {
                return Ok(());
            };
            let Some(commit) = after.block.last_commit.clone() else {
                return Err(FollowerError::BadBlock {
                    height: tip + 2,
                    start: after.batch.0,
                    end: after.batch.1,
                    reason: format!("has no last_commit, so block {} is unsigned", tip + 1),
                });
            };
            let node = self.node.clone();
            let block = next.block.clone();
            let applied = tokio::task::spawn_blocking(move || node.apply_block(&block, &commit))
                .await
                .map_err(|e| FollowerError::Config(format!("block application panicked: {e}")))??;
            if let Applied::New { height, root } = applied {
                tracing::debug!(height, %root, "derived block");
                lock(&self.status).height = height;
            }
        }
    }

    fn resume_height(&self) -> u64 {
        let pinned = self
            .buffer
            .values()
            .map(|b| b.first_l1)
            .chain(self.batch_first_l1.values().copied())
            .min();
        pinned.unwrap_or_else(|| self.last_done.map_or(self.resume_from, |p| p.0 + 1))
    }

    fn save_cursor(&mut self) -> Result<(), FollowerError> {
        let resume = self.resume_height();
        if resume == lock(&self.status).l1_cursor && self.cursor_path.exists() {
            return Ok(());
        }
        write_cursor(
            &self.cursor_path,
            &CursorFile {
                version: 1,
                resume_l1_height: resume,
            },
        )?;
        lock(&self.status).l1_cursor = resume;
        Ok(())
    }

    /// Polls until `shutdown` resolves. Retryable errors back off and retry; any other error
    /// halts derivation (the status shows it) and is returned once `shutdown` resolves, so
    /// the RPC keeps serving meanwhile.
    pub async fn run(
        mut self,
        opts: FollowerOptions,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), FollowerError> {
        tokio::pin!(shutdown);
        let mut delay = opts.poll_interval;
        // The fault derivation stopped at, if it did. A halted follower keeps polling (every
        // 5 poll intervals, at most `max_backoff`): the L1 may delete the outputs over the
        // block it refused and the sequencer re-post its chain, which this follower then sees
        // as a rollback.
        let mut fault: Option<FollowerError> = None;
        loop {
            let r = tokio::select! {
                _ = &mut shutdown => return fault.map_or(Ok(()), Err),
                r = self.poll() => r,
            };
            let wait = match r {
                Ok(height) => {
                    delay = opts.poll_interval;
                    fault = None;
                    let mut st = lock(&self.status);
                    st.halted = false;
                    if st.last_error.take().is_some() {
                        tracing::info!(height, "derivation resumed");
                    }
                    opts.poll_interval
                }
                Err(e) if e.is_retryable() => {
                    tracing::warn!(error = %e, retry_in = ?delay, "derivation paused");
                    lock(&self.status).last_error = Some(e.to_string());
                    let wait = delay;
                    delay = (delay * 2).min(opts.max_backoff);
                    wait
                }
                Err(e @ FollowerError::RolledBack { .. }) => {
                    // Not a fault of the chain: the caller rolls the node back (or tells
                    // the operator to), so it gets the error at once.
                    tracing::warn!(error = %e, height = self.node.height(), "derivation stopped for a rollback");
                    lock(&self.status).last_error = Some(e.to_string());
                    return Err(e);
                }
                Err(e) => {
                    let msg = e.to_string();
                    let mut st = lock(&self.status);
                    if st.last_error.as_deref() != Some(msg.as_str()) || !st.halted {
                        tracing::error!(error = %e, fault = e.is_fault(), height = self.node.height(), "derivation halted");
                    }
                    st.last_error = Some(msg);
                    st.halted = true;
                    fault = Some(e);
                    (opts.poll_interval * 5).min(opts.max_backoff)
                }
            };
            tokio::select! {
                _ = &mut shutdown => return fault.map_or(Ok(()), Err),
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

fn read_cursor(path: &Path) -> Result<CursorFile, FollowerError> {
    let err = |reason: String| FollowerError::Cursor {
        path: path.display().to_string(),
        reason,
    };
    match std::fs::read(path) {
        Ok(b) => {
            let c: CursorFile = serde_json::from_slice(&b)
                .map_err(|e| err(format!("{e}; delete it to rescan the L1 from the start")))?;
            if c.version != 1 {
                return Err(err(format!("version {} is not supported", c.version)));
            }
            Ok(c)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(CursorFile {
            version: 1,
            resume_l1_height: 1,
        }),
        Err(e) => Err(err(e.to_string())),
    }
}

fn write_cursor(path: &Path, c: &CursorFile) -> Result<(), FollowerError> {
    use std::io::Write;
    let err = |reason: String| FollowerError::Cursor {
        path: path.display().to_string(),
        reason,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec_pretty(c).map_err(|e| err(e.to_string()))?;
    let mut f = std::fs::File::create(&tmp).map_err(|e| err(e.to_string()))?;
    f.write_all(&bytes).map_err(|e| err(e.to_string()))?;
    f.sync_all().map_err(|e| err(e.to_string()))?;
    std::fs::rename(&tmp, path).map_err(|e| err(e.to_string()))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Opens the node of `home` as a follower of the sequencer its genesis names, with the app
/// `make_app` builds from the genesis' app configuration.
pub fn open_follower_node<A: ChainApp>(
    home: &Path,
    config: &NodeConfig,
    make_app: impl FnOnce(AppConfig) -> A,
) -> Result<Arc<Node<A>>, RunError> {
    let (app_config, opts) = crate::run::node_options(home, config)?;
    let sequencer = sequencer_key(&opts.genesis)
        .map_err(|e| RunError::Other(format!("{}: {e}", config.genesis_path(home).display())))?;
    Ok(Node::open_follower(make_app(app_config), opts, sequencer)?)
}

/// [`open_follower_node`] on a blocking thread (it may replay a block or finish a rollback).
pub(crate) async fn open_follower_node_async<A, F>(
    home: &Path,
    config: &NodeConfig,
    make_app: F,
) -> Result<Arc<Node<A>>, RunError>
where
    A: ChainApp + 'static,
    F: FnOnce(minitia_chain::app::AppConfig) -> A + Send + 'static,
{
    let (home, config) = (home.to_path_buf(), config.clone());
    tokio::task::spawn_blocking(move || open_follower_node(&home, &config, make_app))
        .await
        .map_err(|e| RunError::Other(format!("node start panicked: {e}")))?
}

/// A flag set once `shutdown` resolves, for processes that outlive one node (a follower or
/// challenger that rolls its node back and reopens it) and so need to await it repeatedly.
pub(crate) fn shutdown_flag(
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = tx.send(true);
    });
    rx
}

/// Resolves once `flag` is set.
pub(crate) async fn flag_set(mut flag: tokio::sync::watch::Receiver<bool>) {
    let _ = flag.wait_for(|v| *v).await;
}

/// The DA client `[da]` configures, or `None` when `[da] rpc` is empty (the same reader the
/// batch submitter uses: it connects on first use and reconnects after an outage).
pub fn da_client(config: &NodeConfig, chain_id: &str) -> Result<Option<LazyCelestiaDa>, RunError> {
    if config.da.rpc.trim().is_empty() {
        return Ok(None);
    }
    let namespace = crate::batcher::namespace_from_config(&config.da.namespace, chain_id)
        .map_err(|e| RunError::Other(e.to_string()))?;
    let mut cfg = minitia_da::CelestiaDaConfig::new(config.da.rpc.trim(), namespace);
    if !config.da.auth_token.is_empty() {
        cfg.auth_token = Some(config.da.auth_token.clone());
    }
    Ok(Some(LazyCelestiaDa::new(cfg)))
}

fn check_l1_config(config: &NodeConfig) -> Result<(), RunError> {
    if config.l1.rpc.trim().is_empty() {
        return Err(RunError::Other(
            "a follower reads batches from the L1: set [l1] rpc (and bridge_id) in minitia.toml"
                .into(),
        ));
    }
    Ok(())
}

/// Derives `node` from the L1 and DA `config` names until `shutdown` resolves; the status
/// goes to `status` (serve it with [`serve_rpc`]).
pub async fn follow<A: ChainApp>(
    node: Arc<Node<A>>,
    home: &Path,
    config: &NodeConfig,
    status: SharedStatus,
    opts: FollowerOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), RunError> {
    follow_until(node, home, config, status, opts, shutdown)
        .await?
        .map_err(|e| RunError::Other(format!("derivation halted: {e}")))
}

/// [`follow`], with the deriver's own error (a [`FollowerError::RolledBack`] is returned at
/// once, without waiting for `shutdown`).
async fn follow_until<A: ChainApp>(
    node: Arc<Node<A>>,
    home: &Path,
    config: &NodeConfig,
    status: SharedStatus,
    opts: FollowerOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<Result<(), FollowerError>, RunError> {
    check_l1_config(config)?;
    let l1 = RemoteChain::new(&config.l1.rpc).map_err(|e| RunError::Other(e.to_string()))?;
    tokio::pin!(shutdown);
    let mut delay = opts.poll_interval;
    let source = loop {
        match L1Records::for_bridge(l1.clone(), config.l1.bridge_id).await {
            Ok(s) => break s,
            Err(FollowerError::Config(e)) => return Err(RunError::Other(e)),
            Err(e) => {
                tracing::warn!(error = %e, "waiting for the L1");
                lock(&status).last_error = Some(e.to_string());
                tokio::select! {
                    _ = &mut shutdown => return Ok(Ok(())),
                    _ = tokio::time::sleep(delay) => {}
                }
                delay = (delay * 2).min(opts.max_backoff);
            }
        }
    };
    let genesis = minitia_chain::node::genesis::GenesisDoc::load(&config.genesis_path(home))?;
    let da = da_client(config, &genesis.chain_id)?;
    let mut deriver = Deriver::new(node, source, da, &config.data_dir(home))
        .map_err(|e| RunError::Other(e.to_string()))?;
    deriver.status = status;
    deriver.set_submitter(deriver.source.submitter());
    tracing::info!(
        bridge_id = config.l1.bridge_id,
        submitter = deriver.source.submitter(),
        l1_cursor = lock(&deriver.status).l1_cursor,
        "deriving the chain from the L1 and DA"
    );
    Ok(deriver.run(opts, shutdown).await)
}

/// Runs the node of `home` as a follower (bank and auth, plus `extra_modules`): the
/// CometBFT RPC (read-only) and derivation, until `shutdown` resolves. See
/// [`run_follower_home`].
pub async fn run_follower_with(
    home: &Path,
    config: &NodeConfig,
    extra_modules: Vec<Arc<dyn crate::run::Module>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    run_follower_home(
        home,
        config,
        move |c| crate::run::cosmos_app(c, extra_modules.clone()),
        crate::run::no_extra_servers,
        shutdown,
    )
    .await
}

pub use crate::run::ExtraServer;

/// Runs the follower of `home` with the engine `make_app` builds: serves the node's CometBFT
/// RPC on `[rpc] listen` plus what `extra` spawns for it (given the node and a shutdown
/// future), and derives until `shutdown` resolves.
///
/// When the L1 deleted outputs over blocks this node had already derived
/// ([`FollowerError::RolledBack`]), it rolls itself back instead of halting: it stops serving,
/// waits for the node's last users to let go, rolls its home back to the last output left
/// exactly as `minitia rollback` does ([`crate::recovery::rollback_home`]: the replayed roots
/// must equal the chain's own headers), reopens the node and follows the re-posted chain.
/// The RPC is down for the rollback's duration (it replays the kept blocks from genesis).
pub async fn run_follower_home<A, F>(
    home: &Path,
    config: &NodeConfig,
    make_app: F,
    mut extra: impl crate::run::ExtraServers<A>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError>
where
    A: ChainApp + 'static,
    F: Fn(minitia_chain::app::AppConfig) -> A + Clone + Send + 'static,
{
    check_l1_config(config)?;
    let down_rx = shutdown_flag(shutdown);
    let status: SharedStatus = Arc::new(Mutex::new(FollowerStatus::default()));
    loop {
        let node = open_follower_node_async(home, config, make_app.clone()).await?;
        {
            let mut st = lock(&status);
            st.height = node.height();
            st.halted = false;
        }
        let listener = tokio::net::TcpListener::bind(config.rpc.listen)
            .await
            .map_err(|source| RunError::Bind {
                addr: config.rpc.listen.to_string(),
                source,
            })?;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let rpc = tokio::spawn(serve_rpc(
            node.clone(),
            status.clone(),
            listener,
            flag_set(stop_rx.clone()),
        ));
        let extra_server = extra(node.clone(), Box::pin(flag_set(stop_rx.clone())));
        tracing::info!(rpc = %config.rpc.listen, height = node.height(), "minitia follower started");
        let result = follow_until(
            node.clone(),
            home,
            config,
            status.clone(),
            FollowerOptions::default(),
            flag_set(down_rx.clone()),
        )
        .await;
        let _ = stop_tx.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), rpc).await;
        if let Some(e) = extra_server {
            let _ = tokio::time::timeout(Duration::from_secs(5), e).await;
        }
        let (to, err) = match result? {
            Ok(()) => return Ok(()),
            Err(e @ FollowerError::RolledBack { rollback_to, .. }) => (rollback_to, e),
            Err(e) => return Err(RunError::Other(format!("derivation halted: {e}"))),
        };
        if *down_rx.borrow() {
            return Err(RunError::Other(format!("derivation halted: {err}")));
        }
        tracing::warn!(
            to_height = to,
            error = %err,
            "rolling the follower back to the last output the L1 kept"
        );
        let weak = Arc::downgrade(&node);
        drop(node);
        let report =
            crate::recovery::rollback_released_home(home, config, make_app.clone(), weak, to)
                .await?;
        tracing::warn!(
            from = report.node.from_height,
            to = report.node.to_height,
            "follower rolled back; following the re-posted chain"
        );
        let mut st = lock(&status);
        st.rollbacks += 1;
        st.last_error = None;
    }
}
