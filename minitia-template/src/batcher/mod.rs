//! The batch submitter: a separate process that follows the minitia node's CometBFT RPC,
//! packs finished blocks into OPinit-style batches ([`minitia_da::batch`]), posts them to a
//! DA layer and records where they went on the L1 with `MsgRecordBatch`.
//!
//! One batch at a time, each through the states of its [`wal`] entry:
//! 1. **cut**: every `[batch] interval` (or as soon as `max_blocks` blocks are waiting) the
//!    next range `start..=end` is read over RPC (`block`), each block re-encoded as the
//!    CometBFT protobuf `Block`, compressed and chunked; the blobs go to disk first;
//! 2. **post** (DA route): the blobs go to DA with the backoff of [`minitia_da::retry`] (while DA is
//!    down); their pointers go to disk;
//! 3. **record**: one `Da` record (DA route), or one `Inline` record per blob (L1 route),
//!    each sent through [`TxSubmitter`] after checking the L1 for a record of the same range
//!    or blob by this submitter since the batch was cut, so a restart never records twice.
//!
//! **Failover.** When DA has been failing for longer than `[da] failover_after`, the batch in
//! flight is re-chunked to `[batch] inline_chunk_bytes` and recorded inline on the L1, and so
//! is every following batch while DA stays down; before each new batch DA is probed, and the
//! first answer sends batches back to DA. With `[da] rpc` empty every batch goes inline, like
//! OPinit's `INITIA` chain type.
//!
//! A follower reads the records back with [`records::recorded_batches`], fetches DA blobs by
//! the recorded pointers (not by scanning the namespace: a post that failed half-way can leave
//! blobs nobody recorded), and feeds blobs to a [`minitia_da::batch::Assembler`], which also
//! drops identical re-posts.

pub mod records;
pub mod wal;

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use cosmrs::crypto::secp256k1::SigningKey;
use minitia_chain::client::{
    GasPrice, RemoteChain, SubmitError, SubmitterConfig, SubmitterStatus, TxSubmitter,
};
use minitia_core::{BlobPointer, DaClient, DaError, L1Client, Namespace};
use minitia_da::{
    batch::{self, BatchChunk, BatchHeader, BatchRecord},
    retry::{Next, Outage, RetryPolicy},
    CelestiaDa, CelestiaDaConfig, MAX_BLOB_SIZE,
};
use serde::Serialize;
use tendermint_rpc::{client::CompatMode, Client, HttpClient};
use tokio::time::Instant;
use tracing::{error, info, warn};

use self::records::{recorded_batches, MsgRecordBatch};
use self::wal::{Finished, Pending, Route, Wal};
use crate::{
    config::NodeConfig,
    home::{AccountKey, COSMOS_HD_PATH},
};

/// The status file a running batcher keeps in its WAL folder.
pub const STATUS_FILE: &str = "status.json";
/// Largest decompressed batch the batcher reads back (when re-chunking for failover).
const MAX_RAW_BATCH: usize = 1 << 30;
/// Overhead of an `Inline` record around its blob, plus the message and tx envelope.
const INLINE_OVERHEAD: usize = 6 + 1024;

/// Why the batcher stopped or a step failed.
#[derive(Debug, thiserror::Error)]
pub enum BatcherError {
    /// Configuration is unusable.
    #[error("batcher config: {0}")]
    Config(String),
    /// The WAL could not be read or written.
    #[error("batcher WAL: {0}")]
    Wal(String),
    /// The minitia node's RPC failed (retried).
    #[error("minitia node RPC: {0}")]
    L2(String),
    /// The L1 failed transiently (retried).
    #[error("L1: {0}")]
    L1(String),
    /// The L1 refused a record: the bridge or the key is wrong; retrying will not help.
    #[error("L1 refused the batch record: {0}")]
    L1Rejected(String),
    /// DA refused the blobs (auth, size, namespace); retrying will not help.
    #[error("DA refused the batch: {0}; fix [da] in minitia.toml (or empty [da] rpc to post batches to the L1)")]
    DaRejected(String),
    /// A batch could not be built.
    #[error(transparent)]
    Batch(#[from] batch::BatchError),
}

impl BatcherError {
    /// Errors that stop the batcher; the others are retried with backoff.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Self::Config(_)
                | Self::Wal(_)
                | Self::L1Rejected(_)
                | Self::DaRejected(_)
                | Self::Batch(_)
        )
    }
}

/// Summary of the last recorded batch.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct BatchSummary {
    /// First L2 height.
    pub start: u64,
    /// Last L2 height.
    pub end: u64,
    /// `"da"` or `"l1"`.
    pub route: String,
    /// L1 txs that record it.
    pub l1_txs: Vec<String>,
    /// DA height of its header (DA route).
    pub da_height: Option<u64>,
    /// Blobs posted.
    pub blobs: usize,
    /// Uncompressed bytes.
    pub raw_bytes: usize,
    /// Posted bytes.
    pub posted_bytes: usize,
}

/// What localnet and metrics show about the batcher.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BatcherStatus {
    /// First L2 height not yet recorded.
    pub next_height: u64,
    /// Latest L2 height seen.
    pub l2_height: u64,
    /// The batch in flight: `(start, end, route, stage)`.
    pub in_flight: Option<(u64, u64, String, String)>,
    /// The last recorded batch.
    pub last_batch: Option<BatchSummary>,
    /// Batches recorded through DA.
    pub batches_da: u64,
    /// Batches recorded inline on the L1.
    pub batches_inline: u64,
    /// A DA endpoint is configured.
    pub da_configured: bool,
    /// Batches go to the L1 because DA has been down past `failover_after`.
    pub da_failover: bool,
    /// How many times the batcher failed over to the L1.
    pub failovers: u64,
    /// DA is currently failing (maybe not yet past the failover limit).
    pub da_down: bool,
    /// The last error, cleared by the next success.
    pub last_error: Option<String>,
    /// The L1 tx submitter.
    pub submitter: SubmitterStatus,
}

/// `GET /metrics` of the batcher: batch lag, routes, DA failover state, its L1 signer.
pub fn batcher_metrics(s: &BatcherStatus) -> String {
    use minitia_core::metrics::{Exposition, Kind};
    let mut e = Exposition::new();
    e.one(
        "minitia_batcher_next_height",
        "First L2 height not yet recorded in a batch.",
        Kind::Gauge,
        s.next_height as f64,
    )
    .one(
        "minitia_batcher_l2_height",
        "Latest L2 height seen.",
        Kind::Gauge,
        s.l2_height as f64,
    )
    .one(
        "minitia_batcher_lag_blocks",
        "L2 blocks produced and not yet recorded in a batch.",
        Kind::Gauge,
        s.lag_blocks() as f64,
    )
    .family(
        "minitia_batcher_batches",
        "Batches recorded, by route (da: posted to DA, l1: inline on the L1).",
        Kind::Counter,
        [
            (vec![("route", "da".to_string())], s.batches_da as f64),
            (vec![("route", "l1".to_string())], s.batches_inline as f64),
        ],
    )
    .one(
        "minitia_batcher_da_failover",
        "1 while batches go to the L1 because DA has been down past the failover limit.",
        Kind::Gauge,
        f64::from(u8::from(s.da_failover)),
    )
    .one(
        "minitia_batcher_da_down",
        "1 while DA submissions fail.",
        Kind::Gauge,
        f64::from(u8::from(s.da_down)),
    )
    .one(
        "minitia_batcher_failovers",
        "Times the batcher failed over to the L1.",
        Kind::Counter,
        s.failovers as f64,
    );
    minitia_chain::client::submitter_metrics(
        &mut e,
        "minitia_batcher",
        &[("batcher", &s.submitter)],
    );
    e.finish()
}

/// Serves `GET /metrics` and `GET /status` (JSON) of a running batcher until `shutdown`.
pub async fn serve_metrics(
    status: StatusHandle,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::{routing::get, Json};
    let s2 = status.clone();
    let app = axum::Router::new()
        .route(
            "/metrics",
            get(move || {
                let text = batcher_metrics(&status.get());
                async move { crate::metrics_response(text) }
            }),
        )
        .route(
            "/status",
            get(move || {
                let s = s2.get();
                async move { Json(s) }
            }),
        );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

impl BatcherStatus {
    /// L2 blocks produced and not yet recorded in a batch.
    pub fn lag_blocks(&self) -> u64 {
        lag_blocks(self.l2_height, self.next_height)
    }
}

/// L2 blocks up to `l2_height` not yet recorded when `next_height` is the first unrecorded.
pub fn lag_blocks(l2_height: u64, next_height: u64) -> u64 {
    (l2_height + 1).saturating_sub(next_height.max(1))
}

/// A shareable view of a running batcher's status.
#[derive(Debug, Clone, Default)]
pub struct StatusHandle(Arc<Mutex<BatcherStatus>>);

impl StatusHandle {
    /// A snapshot.
    pub fn get(&self) -> BatcherStatus {
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn update(&self, f: impl FnOnce(&mut BatcherStatus)) {
        if let Ok(mut s) = self.0.lock() {
            f(&mut s);
        }
    }
}

/// Everything a batcher needs besides its clients.
#[derive(Debug, Clone)]
pub struct BatcherConfig {
    /// CometBFT RPC of the minitia node, `http://host:port`.
    pub l2_rpc: String,
    /// Bridge id on the L1.
    pub bridge_id: u64,
    /// DA namespace.
    pub namespace: Namespace,
    /// Cut a batch at least this often when blocks are waiting.
    pub interval: Duration,
    /// Most blocks per batch.
    pub max_blocks: u64,
    /// Blob size limit for DA.
    pub max_blob_bytes: usize,
    /// Blob size limit for inline records (fits the L1's max tx bytes).
    pub inline_chunk_bytes: usize,
    /// DA retry backoff and failover limit.
    pub retry: RetryPolicy,
    /// WAL folder.
    pub wal_dir: PathBuf,
    /// First L2 height to batch on a fresh WAL.
    pub first_height: u64,
    /// How often to look for new blocks.
    pub poll: Duration,
    /// Fault injection (dev chains only, for testing challengers): never post blocks at or
    /// above this height. `None` in production.
    pub withhold_from: Option<u64>,
}

/// The batch submitter over a DA client `D` (`None` = every batch inline on the L1).
pub struct Batcher<D> {
    cfg: BatcherConfig,
    l2: HttpClient,
    submitter: Arc<TxSubmitter>,
    da: Option<D>,
    outage: Outage,
    failed_over: bool,
    wal: Wal,
    status: StatusHandle,
    last_cut: Instant,
}

impl<D> std::fmt::Debug for Batcher<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher")
            .field("l2_rpc", &self.cfg.l2_rpc)
            .field("bridge_id", &self.cfg.bridge_id)
            .finish_non_exhaustive()
    }
}

/// Protobuf bytes of the CometBFT block, as batches carry it.
pub fn block_bytes(block: tendermint::Block) -> Vec<u8> {
    use tendermint_proto::Protobuf;
    Protobuf::<tendermint_proto::v0_38::types::Block>::encode_vec(block)
}

/// A CometBFT RPC client for `url`.
pub fn rpc_client(url: &str) -> Result<HttpClient, BatcherError> {
    let u: tendermint_rpc::Url = url
        .parse()
        .map_err(|e| BatcherError::Config(format!("bad RPC URL {url:?}: {e}")))?;
    HttpClient::builder(
        u.try_into()
            .map_err(|e| BatcherError::Config(format!("bad RPC URL {url:?}: {e}")))?,
    )
    .compat_mode(CompatMode::V0_38)
    .timeout(Duration::from_secs(30))
    .build()
    .map_err(|e| BatcherError::Config(format!("RPC client for {url}: {e}")))
}

impl<D: DaClient> Batcher<D> {
    /// A batcher resuming from the WAL in `cfg.wal_dir`.
    pub fn new(
        cfg: BatcherConfig,
        submitter: Arc<TxSubmitter>,
        da: Option<D>,
    ) -> Result<Self, BatcherError> {
        if cfg.bridge_id == 0 {
            return Err(BatcherError::Config(
                "[l1] bridge_id is 0: register the bridge on the L1 first".into(),
            ));
        }
        if cfg.max_blocks == 0 {
            return Err(BatcherError::Config(
                "[batch] max_blocks must be at least 1".into(),
            ));
        }
        if cfg.inline_chunk_bytes < 1024 || cfg.inline_chunk_bytes > MAX_BLOB_SIZE {
            return Err(BatcherError::Config(format!(
                "[batch] inline_chunk_bytes = {} must be 1024..={MAX_BLOB_SIZE}",
                cfg.inline_chunk_bytes
            )));
        }
        let l2 = rpc_client(&cfg.l2_rpc)?;
        let wal = Wal::open(&cfg.wal_dir, cfg.first_height)?;
        let status = StatusHandle::default();
        let s = wal.state();
        status.update(|st| {
            st.next_height = s.next_start;
            st.batches_da = s.batches_da;
            st.batches_inline = s.batches_inline;
            st.last_batch = s.last.as_ref().map(summary);
            st.da_configured = da.is_some();
        });
        Ok(Self {
            outage: Outage::new(cfg.retry),
            cfg,
            l2,
            submitter,
            da,
            failed_over: false,
            wal,
            status,
            last_cut: Instant::now(),
        })
    }

    /// Fault injection: withhold blocks from `height` on ([`BatcherConfig::withhold_from`]).
    /// The caller checks that the chain is a dev chain
    /// ([`crate::bridge::require_dev_chain`]).
    pub fn set_withhold_from(&mut self, height: Option<u64>) {
        if let Some(h) = height {
            tracing::warn!(
                from = h,
                "batcher started WITH FAULT INJECTION (withholding)"
            );
        }
        self.cfg.withhold_from = height;
    }

    /// A handle on the status, valid while and after the batcher runs.
    pub fn status_handle(&self) -> StatusHandle {
        self.status.clone()
    }

    /// A status snapshot.
    pub fn status(&self) -> BatcherStatus {
        self.status.get()
    }

    /// Runs until `shutdown` resolves or a fatal error. Every step is on disk before the next
    /// begins, so stopping at any point (or a kill -9) is safe.
    pub async fn run(
        &mut self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), BatcherError> {
        tokio::pin!(shutdown);
        let mut backoff = self.cfg.retry.initial;
        info!(
            l2 = %self.cfg.l2_rpc,
            bridge_id = self.cfg.bridge_id,
            next_height = self.wal.state().next_start,
            da = self.da.is_some(),
            "batcher started"
        );
        loop {
            let wait = tokio::select! {
                _ = &mut shutdown => return Ok(()),
                r = self.step() => match r {
                    Ok(wait) => {
                        backoff = self.cfg.retry.initial;
                        wait
                    }
                    Err(e) if e.is_fatal() => {
                        error!(error = %e, "batcher stopped");
                        self.status.update(|s| s.last_error = Some(e.to_string()));
                        return Err(e);
                    }
                    Err(e) => {
                        warn!(error = %e, retry_in = ?backoff, "batcher step failed; retrying");
                        self.status.update(|s| s.last_error = Some(e.to_string()));
                        let w = backoff;
                        backoff = (backoff * 2).min(self.cfg.retry.max);
                        w
                    }
                },
            };
            let sub = self.submitter.status();
            self.status.update(|s| s.submitter = sub);
            self.write_status_file();
            if !wait.is_zero() {
                tokio::select! {
                    _ = &mut shutdown => return Ok(()),
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        }
    }

    /// Writes the status as JSON to `<wal_dir>/status.json` (for localnet and scrapers that
    /// run in another process); best effort, not fsynced.
    fn write_status_file(&self) {
        let Ok(json) = serde_json::to_vec_pretty(&self.status.get()) else {
            return;
        };
        let tmp = self.cfg.wal_dir.join("status.json.tmp");
        if std::fs::write(&tmp, json).is_ok() {
            let _ = std::fs::rename(&tmp, self.cfg.wal_dir.join(STATUS_FILE));
        }
    }

    /// One unit of work; returns how long to wait before the next.
    pub async fn step(&mut self) -> Result<Duration, BatcherError> {
        if let Some(p) = self.wal.state().pending.clone() {
            self.drive(p).await?;
            return Ok(Duration::ZERO);
        }
        let tip = self
            .l2
            .status()
            .await
            .map_err(|e| BatcherError::L2(e.to_string()))?
            .sync_info
            .latest_block_height
            .value();
        self.status.update(|s| s.l2_height = tip);
        let tip = match self.cfg.withhold_from {
            Some(w) if tip >= w => {
                tracing::warn!(
                    from = w,
                    tip,
                    "fault injection: withholding blocks from DA and the L1"
                );
                w.saturating_sub(1)
            }
            _ => tip,
        };
        let next = self.wal.state().next_start;
        if tip + 1 < next && self.cfg.withhold_from.is_none() {
            tracing::warn!(
                next,
                tip,
                "batches were submitted past the node's tip: the node was rolled back without \
                 the batcher; stop it and run `minitia rollback` on this home"
            );
        }
        if tip < next {
            return Ok(self.cfg.poll);
        }
        let waiting = tip - next + 1;
        let since = self.last_cut.elapsed();
        if waiting < self.cfg.max_blocks && since < self.cfg.interval {
            return Ok(self.cfg.poll.min(self.cfg.interval - since));
        }
        let end = tip.min(next + self.cfg.max_blocks - 1);
        self.cut(next, end).await?;
        Ok(Duration::ZERO)
    }

    async fn fetch_blocks(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, BatcherError> {
        let mut out = Vec::with_capacity((end - start + 1) as usize);
        for h in start..=end {
            let height = tendermint::block::Height::try_from(h)
                .map_err(|e| BatcherError::L2(format!("height {h}: {e}")))?;
            let r = self
                .l2
                .block(height)
                .await
                .map_err(|e| BatcherError::L2(format!("block {h}: {e}")))?;
            if r.block.header.height.value() != h {
                return Err(BatcherError::L2(format!(
                    "asked for block {h}, node returned {}",
                    r.block.header.height
                )));
            }
            out.push(block_bytes(r.block));
        }
        Ok(out)
    }

    async fn choose_route(&mut self) -> Route {
        let Some(da) = &self.da else {
            return Route::Inline;
        };
        if !self.failed_over {
            return Route::Da;
        }
        match da.head().await {
            Ok(h) => {
                info!(da_height = h, "DA answers again; batches go back to DA");
                self.failed_over = false;
                self.outage.on_success();
                self.status.update(|s| {
                    s.da_failover = false;
                    s.da_down = false;
                });
                Route::Da
            }
            Err(e) => {
                warn!(error = %e, "DA still down; this batch goes to the L1");
                Route::Inline
            }
        }
    }

    async fn cut(&mut self, start: u64, end: u64) -> Result<(), BatcherError> {
        let blocks = self.fetch_blocks(start, end).await?;
        let route = self.choose_route().await;
        let enc = match route {
            Route::Da => batch::encode(start, &blocks, self.cfg.max_blob_bytes)?,
            Route::Inline => batch::encode(start, &blocks, self.cfg.inline_chunk_bytes)?,
        };
        self.stage(enc, route).await
    }

    /// Persists an encoded batch as the one in flight.
    async fn stage(&mut self, enc: batch::EncodedBatch, route: Route) -> Result<(), BatcherError> {
        let l1_floor = self
            .submitter
            .chain()
            .latest_height()
            .await
            .map_err(|e| BatcherError::L1(e.to_string()))?;
        let mut blobs = enc.chunks.clone();
        blobs.push(enc.header.clone());
        let (file, sum) = self.wal.store_blobs(enc.start, enc.end, &blobs)?;
        let p = Pending {
            start: enc.start,
            end: enc.end,
            route,
            blobs_file: file,
            blobs_sha256: sum,
            blob_count: blobs.len(),
            raw_len: enc.raw_len,
            l1_floor,
            da_pointers: None,
            recorded: vec![None; if route == Route::Da { 1 } else { blobs.len() }],
            record_seq: None,
        };
        self.wal.update(|s| s.pending = Some(p))?;
        self.last_cut = Instant::now();
        info!(
            start = enc.start,
            end = enc.end,
            route = route.as_str(),
            blobs = blobs.len(),
            raw = enc.raw_len,
            posted = enc.posted_len(),
            "batch cut"
        );
        Ok(())
    }

    fn in_flight(&self, p: &Pending, stage: &str) {
        let v = (
            p.start,
            p.end,
            p.route.as_str().to_string(),
            stage.to_string(),
        );
        self.status.update(|s| s.in_flight = Some(v));
    }

    async fn drive(&mut self, p: Pending) -> Result<(), BatcherError> {
        let blobs = self.wal.load_blobs(&p)?;
        if let Some(seq) = p.record_seq {
            self.settle(seq).await?;
        }
        match p.route {
            Route::Da => self.drive_da(p, blobs).await,
            Route::Inline => self.drive_inline(p, blobs).await,
        }
    }

    async fn post_da(
        &mut self,
        blobs: &[Vec<u8>],
    ) -> Result<Option<Vec<BlobPointer>>, BatcherError> {
        let Some(da) = &self.da else {
            return Ok(None);
        };
        // One submit per group of blobs whose total fits a blob: a celestia-node refuses a
        // PayForBlobs larger than its max tx size.
        let mut groups: Vec<Vec<Vec<u8>>> = Vec::new();
        let mut size = 0usize;
        for b in blobs {
            if groups.is_empty() || size + b.len() > self.cfg.max_blob_bytes {
                groups.push(Vec::new());
                size = 0;
            }
            size += b.len();
            if let Some(g) = groups.last_mut() {
                g.push(b.clone());
            }
        }
        let mut pointers = Vec::with_capacity(blobs.len());
        for g in groups {
            let n = g.len();
            // the backoff of `submit_with_retry`, unrolled so the status shows the outage
            // while it lasts
            let ps = loop {
                let err = match da.submit(self.cfg.namespace, g.clone()).await {
                    Ok(ps) => {
                        self.outage.on_success();
                        self.status.update(|s| s.da_down = false);
                        break ps;
                    }
                    Err(e) => e,
                };
                match self.outage.on_error(err.clone(), Instant::now()) {
                    Next::RetryAfter(delay) => {
                        warn!(error = %err, retry_in = ?delay, "DA submit failed; retrying");
                        let msg = format!("DA: {err}");
                        self.status.update(|s| {
                            s.da_down = true;
                            s.last_error = Some(msg);
                        });
                        tokio::time::sleep(delay).await;
                    }
                    Next::FailOver { down_for } => {
                        error!(
                            down_for = ?down_for,
                            last_error = %err,
                            "DA UNAVAILABLE PAST THE FAILOVER LIMIT: batches now go to the L1 \
                             (MsgRecordBatch inline) until DA answers again"
                        );
                        self.failed_over = true;
                        self.status.update(|s| {
                            s.da_failover = true;
                            s.da_down = true;
                            s.failovers += 1;
                        });
                        return Ok(None);
                    }
                    Next::GiveUp(e) => return Err(BatcherError::DaRejected(e.to_string())),
                }
            };
            if ps.len() != n {
                return Err(BatcherError::DaRejected(format!(
                    "DA returned {} pointers for {n} blobs",
                    ps.len()
                )));
            }
            pointers.extend(ps);
        }
        Ok(Some(pointers))
    }

    async fn drive_da(&mut self, p: Pending, blobs: Vec<Vec<u8>>) -> Result<(), BatcherError> {
        let pointers = match &p.da_pointers {
            Some(ps) => ps.clone(),
            None => {
                self.in_flight(&p, "posting");
                match self.post_da(&blobs).await? {
                    Some(ps) => {
                        self.wal.update(|s| {
                            if let Some(q) = s.pending.as_mut() {
                                q.da_pointers = Some(ps.clone());
                            }
                        })?;
                        info!(
                            start = p.start,
                            end = p.end,
                            da_height = ps.last().map(|x| x.height),
                            "batch posted to DA"
                        );
                        ps
                    }
                    None => return self.reroute_inline(p, &blobs).await,
                }
            }
        };
        self.in_flight(&p, "recording");
        let (header, chunks) = pointers
            .split_last()
            .ok_or_else(|| BatcherError::Wal("pending batch has no DA pointers".into()))?;
        let record = BatchRecord::Da {
            namespace: self.cfg.namespace,
            start: p.start,
            end: p.end,
            header: *header,
            chunks: chunks.to_vec(),
        };
        let existing = self.existing(p.l1_floor).await?;
        let tx = match existing
            .iter()
            .find(|(r, _)| matches!(r, BatchRecord::Da { start, end, .. } if (*start, *end) == (p.start, p.end)))
        {
            Some((_, hash)) => {
                info!(start = p.start, end = p.end, tx = %hash, "batch already recorded on the L1");
                hash.clone()
            }
            None => self.record(&record).await?,
        };
        let posted = blobs.iter().map(Vec::len).sum();
        self.finish(&p, vec![tx], Some(header.height), posted)
    }

    /// DA failed over while this batch was waiting: re-chunk it for the L1.
    async fn reroute_inline(&mut self, p: Pending, blobs: &[Vec<u8>]) -> Result<(), BatcherError> {
        let (header_blob, chunk_blobs) = blobs
            .split_last()
            .ok_or_else(|| BatcherError::Wal("pending batch has no blobs".into()))?;
        let header = BatchHeader::from_bytes(header_blob)?;
        let chunks = chunk_blobs
            .iter()
            .map(|c| BatchChunk::from_bytes(c))
            .collect::<Result<Vec<_>, _>>()?;
        let blocks = batch::decode(&header, &chunks, MAX_RAW_BATCH)?;
        let enc = batch::encode(p.start, &blocks, self.cfg.inline_chunk_bytes)?;
        let old = p.blobs_file.clone();
        self.stage(enc, Route::Inline).await?;
        if self.wal.state().pending.as_ref().map(|q| &q.blobs_file) != Some(&old) {
            self.wal.remove_blobs(&old);
        }
        Ok(())
    }

    async fn drive_inline(&mut self, p: Pending, blobs: Vec<Vec<u8>>) -> Result<(), BatcherError> {
        self.in_flight(&p, "recording inline");
        let existing = self.existing(p.l1_floor).await?;
        let mut recorded = p.recorded.clone();
        for (i, blob) in blobs.iter().enumerate() {
            if recorded.get(i).is_some_and(Option::is_some) {
                continue;
            }
            let found = existing.iter().find_map(|(r, h)| match r {
                BatchRecord::Inline { blob: b } if b == blob => Some(h.clone()),
                _ => None,
            });
            let hash = match found {
                Some(h) => h,
                None => {
                    self.record(&BatchRecord::Inline { blob: blob.clone() })
                        .await?
                }
            };
            recorded[i] = Some(hash.clone());
            self.wal.update(|s| {
                if let Some(q) = s.pending.as_mut() {
                    q.record_seq = None;
                    if let Some(slot) = q.recorded.get_mut(i) {
                        *slot = Some(hash);
                    }
                }
            })?;
        }
        let txs = recorded.into_iter().flatten().collect();
        let posted = blobs.iter().map(Vec::len).sum();
        warn!(
            start = p.start,
            end = p.end,
            blobs = blobs.len(),
            "batch recorded INLINE on the L1 (no DA)"
        );
        self.finish(&p, txs, None, posted)
    }

    /// Records of this bridge by this submitter at or above `floor`, with their tx hashes.
    async fn existing(&self, floor: u64) -> Result<Vec<(BatchRecord, String)>, BatcherError> {
        let me = self.submitter.address();
        let found = recorded_batches(
            self.submitter.chain().rpc(),
            self.cfg.bridge_id,
            Some(&me),
            floor,
        )
        .await
        .map_err(|e| BatcherError::L1(e.to_string()))?;
        Ok(found
            .into_iter()
            .filter_map(|r| r.record.ok().map(|rec| (rec, r.tx_hash)))
            .collect())
    }

    /// The signer's account sequence on the L1.
    async fn l1_sequence(&self) -> Result<u64, BatcherError> {
        let me = self.submitter.address();
        let acc = self
            .submitter
            .chain()
            .account(&me)
            .await
            .map_err(|e| BatcherError::L1(e.to_string()))?;
        Ok(acc.map(|(_, seq)| seq).unwrap_or(0))
    }

    /// A record tx signed at sequence `seq` may still be in the L1 mempool (the batcher was
    /// stopped while it waited): wait until the account sequence passes `seq` or the
    /// inclusion timeout has gone by, so the L1 index shows it before we look.
    async fn settle(&self, seq: u64) -> Result<(), BatcherError> {
        let deadline = Instant::now() + self.submitter.config().inclusion_timeout;
        loop {
            let now = self.l1_sequence().await?;
            if now > seq {
                return Ok(());
            }
            if Instant::now() >= deadline {
                warn!(
                    sequence = seq,
                    "the last record tx never landed; recording again"
                );
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends one record, noting the account sequence in the WAL first (see [`Self::settle`]).
    async fn record(&mut self, record: &BatchRecord) -> Result<String, BatcherError> {
        let seq = self.l1_sequence().await?;
        self.wal.update(|s| {
            if let Some(q) = s.pending.as_mut() {
                q.record_seq = Some(seq);
            }
        })?;
        let msg = MsgRecordBatch {
            submitter: self.submitter.address(),
            bridge_id: self.cfg.bridge_id,
            batch_bytes: record.to_bytes(),
        };
        match self
            .submitter
            .submit(vec![records::record_batch_any(&msg)], "")
            .await
        {
            Ok(t) => Ok(t.hash_hex()),
            Err(e @ SubmitError::Rejected { .. }) => Err(BatcherError::L1Rejected(e.to_string())),
            Err(e) => Err(BatcherError::L1(e.to_string())),
        }
    }

    fn finish(
        &mut self,
        p: &Pending,
        l1_txs: Vec<String>,
        da_height: Option<u64>,
        posted_len: usize,
    ) -> Result<(), BatcherError> {
        let f = Finished {
            start: p.start,
            end: p.end,
            route: p.route,
            l1_txs,
            da_height,
            blobs: p.blob_count,
            raw_len: p.raw_len,
            posted_len,
        };
        self.wal.update(|s| {
            s.next_start = p.end + 1;
            s.pending = None;
            match p.route {
                Route::Da => s.batches_da += 1,
                Route::Inline => s.batches_inline += 1,
            }
            s.last = Some(f.clone());
        })?;
        self.wal.remove_blobs(&p.blobs_file);
        let s = self.wal.state().clone();
        self.status.update(|st| {
            st.next_height = s.next_start;
            st.in_flight = None;
            st.batches_da = s.batches_da;
            st.batches_inline = s.batches_inline;
            st.last_batch = Some(summary(&f));
            st.last_error = None;
        });
        info!(start = p.start, end = p.end, route = p.route.as_str(), txs = ?f.l1_txs, "batch recorded on the L1");
        Ok(())
    }
}

fn summary(f: &Finished) -> BatchSummary {
    BatchSummary {
        start: f.start,
        end: f.end,
        route: f.route.as_str().into(),
        l1_txs: f.l1_txs.clone(),
        da_height: f.da_height,
        blobs: f.blobs,
        raw_bytes: f.raw_len,
        posted_bytes: f.posted_len,
    }
}

/// A [`CelestiaDa`] that connects on first use and reconnects after a failure, so the
/// batcher starts (and keeps cutting batches for the L1) while DA is down.
pub struct LazyCelestiaDa {
    cfg: CelestiaDaConfig,
    inner: tokio::sync::Mutex<Option<Arc<CelestiaDa>>>,
}

impl std::fmt::Debug for LazyCelestiaDa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyCelestiaDa")
            .field("url", &self.cfg.url)
            .finish()
    }
}

impl LazyCelestiaDa {
    /// A client for `cfg`; nothing is contacted yet.
    pub fn new(cfg: CelestiaDaConfig) -> Self {
        Self {
            cfg,
            inner: tokio::sync::Mutex::new(None),
        }
    }

    async fn client(&self) -> Result<Arc<CelestiaDa>, DaError> {
        let mut g = self.inner.lock().await;
        if let Some(c) = g.as_ref() {
            return Ok(c.clone());
        }
        let c = Arc::new(CelestiaDa::connect(self.cfg.clone()).await?);
        *g = Some(c.clone());
        Ok(c)
    }

    async fn forget_on_outage<T>(&self, r: Result<T, DaError>) -> Result<T, DaError> {
        if matches!(r, Err(DaError::Unavailable(_))) {
            *self.inner.lock().await = None;
        }
        r
    }
}

impl DaClient for LazyCelestiaDa {
    async fn submit(
        &self,
        namespace: Namespace,
        blobs: Vec<Vec<u8>>,
    ) -> Result<Vec<BlobPointer>, DaError> {
        let c = self.client().await?;
        let r = c.submit(namespace, blobs).await;
        self.forget_on_outage(r).await
    }

    async fn get(&self, namespace: Namespace, pointer: BlobPointer) -> Result<Vec<u8>, DaError> {
        let c = self.client().await?;
        let r = c.get(namespace, pointer).await;
        self.forget_on_outage(r).await
    }

    async fn get_all(&self, namespace: Namespace, height: u64) -> Result<Vec<Vec<u8>>, DaError> {
        let c = self.client().await?;
        let r = c.get_all(namespace, height).await;
        self.forget_on_outage(r).await
    }

    async fn head(&self) -> Result<u64, DaError> {
        let c = self.client().await?;
        let r = c.head().await;
        self.forget_on_outage(r).await
    }
}

/// The secp256k1 signing key of an account key file (its mnemonic at [`COSMOS_HD_PATH`]).
pub fn signing_key(key: &AccountKey) -> Result<SigningKey, BatcherError> {
    let phrase = bip32::Mnemonic::new(key.mnemonic.trim(), bip32::Language::English)
        .map_err(|e| BatcherError::Config(format!("key {}: bad mnemonic: {e}", key.name)))?;
    let path: bip32::DerivationPath = COSMOS_HD_PATH
        .parse()
        .map_err(|e| BatcherError::Config(format!("hd path: {e}")))?;
    SigningKey::derive_from_path(phrase.to_seed("").as_bytes(), &path)
        .map_err(|e| BatcherError::Config(format!("key {}: derivation failed: {e}", key.name)))
}

/// The namespace of `[da] namespace` (hex id, at most 10 bytes), or sha256(chain_id)[..10].
pub fn namespace_from_config(hex_id: &str, chain_id: &str) -> Result<Namespace, BatcherError> {
    if hex_id.trim().is_empty() {
        return Ok(batch::namespace_for_chain(chain_id));
    }
    let id = hex::decode(hex_id.trim().trim_start_matches("0x"))
        .map_err(|e| BatcherError::Config(format!("[da] namespace {hex_id:?} is not hex: {e}")))?;
    if id.is_empty() || id.len() > 10 {
        return Err(BatcherError::Config(format!(
            "[da] namespace {hex_id:?} has {} bytes; a v0 namespace id has 1 to 10",
            id.len()
        )));
    }
    let mut ns = [0u8; 29];
    ns[29 - id.len()..].copy_from_slice(&id);
    Ok(Namespace(ns))
}

/// Builds the batcher of a home from its `minitia.toml` (`[l1]`, `[da]`, `[batch]`) and
/// `keys/sequencer.json`; the WAL is `<data_dir>/batcher/`.
pub async fn from_home(
    home: &Path,
    config: &NodeConfig,
) -> Result<Batcher<LazyCelestiaDa>, BatcherError> {
    if config.l1.rpc.trim().is_empty() {
        return Err(BatcherError::Config(
            "[l1] rpc is empty: the batcher records batches on the L1; set it in minitia.toml or MINITIA_L1_RPC".into(),
        ));
    }
    let key_path = crate::home::key_path(home, "sequencer");
    let key = AccountKey::load(&key_path)
        .map_err(|e| BatcherError::Config(format!("sequencer key: {e}")))?;
    let sk = signing_key(&key)?;
    let chain =
        RemoteChain::new(&config.l1.rpc).map_err(|e| BatcherError::Config(e.to_string()))?;
    let l1_chain_id = if config.l1.chain_id.is_empty() {
        chain
            .chain_id()
            .await
            .map_err(|e| BatcherError::L1(format!("asking the L1 for its chain id: {e}")))?
    } else {
        config.l1.chain_id.clone()
    };
    let gas_price: GasPrice = config
        .l1
        .gas_price
        .parse()
        .map_err(|e: String| BatcherError::Config(format!("[l1] gas_price: {e}")))?;
    let submitter = TxSubmitter::new(
        chain,
        sk,
        SubmitterConfig::new(l1_chain_id, config.l1.bech32_prefix.clone(), gas_price),
    )
    .map_err(|e| BatcherError::Config(e.to_string()))?;
    let l2_rpc = if config.batch.node_rpc.is_empty() {
        let listen = config.rpc.listen;
        let host = if listen.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else {
            listen.ip().to_string()
        };
        format!("http://{host}:{}", listen.port())
    } else {
        config.batch.node_rpc.clone()
    };
    let l2_chain_id = rpc_client(&l2_rpc)?
        .status()
        .await
        .map_err(|e| BatcherError::L2(format!("minitia node at {l2_rpc}: {e}")))?
        .node_info
        .network
        .to_string();
    let namespace = namespace_from_config(&config.da.namespace, &l2_chain_id)?;
    let da = if config.da.rpc.trim().is_empty() {
        None
    } else {
        let mut c = CelestiaDaConfig::new(config.da.rpc.trim(), namespace);
        if !config.da.auth_token.is_empty() {
            c.auth_token = Some(config.da.auth_token.clone());
        }
        if !config.da.gas_price.is_empty() {
            c.gas_price = Some(config.da.gas_price.parse().map_err(|e| {
                BatcherError::Config(format!("[da] gas_price {:?}: {e}", config.da.gas_price))
            })?);
        }
        Some(LazyCelestiaDa::new(c))
    };
    let cfg = BatcherConfig {
        l2_rpc,
        bridge_id: config.l1.bridge_id,
        namespace,
        interval: config.batch.interval,
        max_blocks: config.batch.max_blocks,
        max_blob_bytes: MAX_BLOB_SIZE,
        inline_chunk_bytes: config.batch.inline_chunk_bytes as usize,
        retry: RetryPolicy {
            failover_after: Some(config.da.failover_after),
            ..RetryPolicy::default()
        },
        wal_dir: config.data_dir(home).join("batcher"),
        first_height: 1,
        poll: Duration::from_millis(200),
        withhold_from: None,
    };
    Batcher::new(cfg, Arc::new(submitter), da)
}

/// Inline chunk size that leaves room for the record and tx envelope in `max_tx_bytes`.
pub fn inline_chunk_for(max_tx_bytes: usize) -> usize {
    max_tx_bytes.saturating_sub(INLINE_OVERHEAD)
}
