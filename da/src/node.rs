//! `LocalDa`: the local Celestia-compatible DA node — block production, blob validation and
//! the reads behind its JSON-RPC API. The HTTP front end lives in [`crate::rpc`].

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use celestia_types::consts::appconsts;
use celestia_types::nmt::{Namespace, NamespaceProof};
use celestia_types::{Blob, ExtendedHeader};
use minitia_core::{BlobPointer, DaClient, DaError, Hash32};
use tendermint::{chain, Time};
use tokio::sync::{oneshot, watch};
use tracing::{debug, info, warn};

use crate::error::LocalDaError;
use crate::header::Validator;
use crate::square::{self, Square};
use crate::store::Store;

/// Celestia mainnet's largest blob, in bytes.
pub const MAX_BLOB_SIZE: usize = 1_973_786;

/// Configuration of a local DA node.
#[derive(Debug, Clone)]
pub struct LocalDaConfig {
    /// Directory of the redb store.
    pub data_dir: PathBuf,
    /// Time between DA blocks.
    pub block_time: Duration,
    /// Largest accepted blob, in bytes.
    pub max_blob_size: usize,
    /// Chain id in the headers.
    pub chain_id: String,
    /// Bearer token required on every RPC request; `None` disables auth.
    pub auth_token: Option<String>,
    /// How long `header.WaitForHeight` (and a reader waiting for a block) may block.
    pub wait_timeout: Duration,
    /// Starting balance of the node's account, in utia.
    pub initial_balance: u64,
    /// Gas price used when a submission names none, in utia per gas.
    pub min_gas_price: f64,
    /// Blob bytes that may wait for a block before submissions are refused as retryable.
    pub max_pending_bytes: usize,
}

impl LocalDaConfig {
    /// Defaults for a node storing in `data_dir`: 6 s blocks, mainnet blob limit, no auth.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            block_time: Duration::from_secs(6),
            max_blob_size: MAX_BLOB_SIZE,
            chain_id: "minitia-da-local".into(),
            auth_token: None,
            wait_timeout: Duration::from_secs(60),
            initial_balance: 1_000_000_000_000,
            min_gas_price: 0.002,
            max_pending_bytes: 64 << 20,
        }
    }
}

struct Pending {
    blobs: Vec<Blob>,
    fee: u64,
    done: oneshot::Sender<Result<u64, LocalDaError>>,
}

struct Inner {
    cfg: LocalDaConfig,
    chain_id: chain::Id,
    store: Store,
    validator: Validator,
    pending: Mutex<Vec<Pending>>,
    head: watch::Sender<u64>,
    last: Mutex<Option<ExtendedHeader>>,
}

/// A handle to a local DA node. Cheap to clone; the block producer runs while
/// [`LocalDa::run_producer`] is being polled.
#[derive(Clone)]
pub struct LocalDa {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for LocalDa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalDa")
            .field("chain_id", &self.inner.chain_id)
            .field("head", &*self.inner.head.borrow())
            .finish()
    }
}

fn now() -> Time {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Time::from_unix_timestamp(d.as_secs() as i64, d.subsec_nanos())
        .unwrap_or_else(|_| Time::unix_epoch())
}

/// Gas a PayForBlobs of these blobs would use (celestia-app's estimate: a fixed cost plus
/// `GAS_PER_BLOB_BYTE` per byte of every share the blobs occupy).
pub fn estimate_gas(blobs: &[Blob]) -> u64 {
    const FIXED: u64 = 75_000;
    let shares: u64 = blobs.iter().map(|b| b.shares_len() as u64).sum();
    FIXED + shares * appconsts::SHARE_SIZE as u64 * 8
}

/// Checks a raw namespace the way celestia-node does for user blobs.
pub fn check_namespace(raw: &[u8]) -> Result<Namespace, LocalDaError> {
    if raw.len() != celestia_types::nmt::NS_SIZE {
        return Err(LocalDaError::InvalidNamespace(format!(
            "namespace must be {} bytes (1 version byte + 28-byte id), got {} bytes",
            celestia_types::nmt::NS_SIZE,
            raw.len()
        )));
    }
    if raw[0] != 0 {
        return Err(LocalDaError::InvalidNamespace(format!(
            "unsupported namespace version {}: user blobs must use version 0",
            raw[0]
        )));
    }
    if raw[1..19].iter().any(|b| *b != 0) {
        return Err(LocalDaError::InvalidNamespace(
            "a version 0 namespace id must start with 18 zero bytes (only the last 10 bytes are free)".into(),
        ));
    }
    let ns = Namespace::from_raw(raw).map_err(|e| LocalDaError::InvalidNamespace(e.to_string()))?;
    if ns.is_reserved() {
        return Err(LocalDaError::InvalidNamespace(format!(
            "namespace {} is reserved for protocol use",
            hex::encode(raw)
        )));
    }
    Ok(ns)
}

impl LocalDa {
    /// Opens (or creates) the node's store; writes the genesis block on first start.
    pub fn open(cfg: LocalDaConfig) -> Result<Self, LocalDaError> {
        let chain_id: chain::Id = cfg.chain_id.parse().map_err(|e| {
            LocalDaError::InvalidParams(format!("bad chain id {:?}: {e}", cfg.chain_id))
        })?;
        let store = Store::open(&cfg.data_dir)?;
        let seed = store.validator_seed(rand::random)?;
        let validator = Validator::from_seed(seed)?;
        let head = store.head()?;
        let last = if head == 0 { None } else { store.header(head)? };
        if head != 0 && last.is_none() {
            return Err(LocalDaError::Storage(format!(
                "head {head} has no stored header"
            )));
        }
        let (head_tx, _) = watch::channel(head);
        let da = Self {
            inner: Arc::new(Inner {
                cfg,
                chain_id,
                store,
                validator,
                pending: Mutex::new(Vec::new()),
                head: head_tx,
                last: Mutex::new(last),
            }),
        };
        if head == 0 {
            da.produce_block()?;
        }
        info!(head = da.head_height(), "local DA node opened");
        Ok(da)
    }

    /// The node's configuration.
    pub fn config(&self) -> &LocalDaConfig {
        &self.inner.cfg
    }

    /// Latest DA height.
    pub fn head_height(&self) -> u64 {
        *self.inner.head.borrow()
    }

    /// Submissions queued for the next block: (submissions, blobs, blob data bytes).
    pub fn pending(&self) -> (usize, usize, usize) {
        let p = self.lock_pending();
        let blobs = p.iter().map(|x| x.blobs.len()).sum();
        let bytes = p
            .iter()
            .flat_map(|x| x.blobs.iter())
            .map(|b| b.data.len())
            .sum();
        (p.len(), blobs, bytes)
    }

    /// Produces a block every `block_time` until `shutdown` resolves.
    pub async fn run_producer(&self, shutdown: impl std::future::Future<Output = ()>) {
        let mut tick = tokio::time::interval(self.inner.cfg.block_time);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tick.tick() => {}
            }
            let this = self.clone();
            match tokio::task::spawn_blocking(move || this.produce_block()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => warn!(error = %e, "failed to produce DA block"),
                Err(e) => warn!(error = %e, "DA block producer task failed"),
            }
        }
        // fail whatever is still queued so no submitter waits forever
        let pending = std::mem::take(&mut *self.lock_pending());
        for p in pending {
            let _ = p.done.send(Err(LocalDaError::ShuttingDown));
        }
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, Vec<Pending>> {
        self.inner
            .pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Seals one block from the queued submissions that fit.
    pub fn produce_block(&self) -> Result<(), LocalDaError> {
        let taken: Vec<Pending> = {
            let mut pending = self.lock_pending();
            let mut taken = Vec::new();
            let mut rest = Vec::new();
            let mut in_block: Vec<Blob> = Vec::new();
            for p in pending.drain(..) {
                let mut candidate: Vec<&Blob> = in_block.iter().collect();
                candidate.extend(p.blobs.iter());
                if square::square_width_for(&candidate).is_some() {
                    in_block.extend(p.blobs.iter().cloned());
                    taken.push(p);
                } else {
                    rest.push(p);
                }
            }
            *pending = rest;
            taken
        };
        let blobs: Vec<Blob> = taken.iter().flat_map(|p| p.blobs.iter().cloned()).collect();
        let fees: u64 = taken.iter().map(|p| p.fee).sum();
        let result = self.seal(blobs, fees);
        match &result {
            Ok(height) => {
                for p in taken {
                    let _ = p.done.send(Ok(*height));
                }
            }
            Err(e) => {
                for p in taken {
                    let _ = p.done.send(Err(e.clone()));
                }
            }
        }
        result.map(|_| ())
    }

    fn seal(&self, blobs: Vec<Blob>, fees: u64) -> Result<u64, LocalDaError> {
        let n = blobs.len();
        let square = square::build(blobs)?;
        let mut last = self
            .inner
            .last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let height = last.as_ref().map_or(1, |h| h.height() + 1);
        let mut time = now();
        if let Some(prev) = last.as_ref() {
            if !time.after(prev.time()) {
                time = (prev.time() + Duration::from_millis(1))
                    .map_err(|e| LocalDaError::Internal(e.to_string()))?;
            }
        }
        let header = self.inner.validator.extended_header(
            &self.inner.chain_id,
            height,
            time,
            last.as_ref(),
            square.dah.clone(),
        )?;
        let balance = self
            .inner
            .store
            .balance(self.inner.cfg.initial_balance)?
            .saturating_sub(fees);
        self.inner
            .store
            .put_block(&header, &square.blobs, balance)?;
        *last = Some(header);
        drop(last);
        self.inner.head.send_replace(height);
        debug!(height, blobs = n, width = square.width, "sealed DA block");
        Ok(height)
    }

    /// Validates and queues `blobs`; resolves with the height of the block that includes
    /// them, once that block is on disk.
    pub async fn submit_blobs(
        &self,
        blobs: Vec<Blob>,
        gas_price: Option<f64>,
    ) -> Result<u64, LocalDaError> {
        if blobs.is_empty() {
            return Err(LocalDaError::InvalidParams("no blobs to submit".into()));
        }
        for (index, blob) in blobs.iter().enumerate() {
            check_namespace(blob.namespace.as_bytes())?;
            if blob.data.len() > self.inner.cfg.max_blob_size {
                return Err(LocalDaError::BlobTooLarge {
                    index,
                    size: blob.data.len(),
                    max: self.inner.cfg.max_blob_size,
                });
            }
            if blob.data.is_empty() {
                return Err(LocalDaError::InvalidBlob(format!(
                    "blob {index} has no data"
                )));
            }
            if blob.share_version > appconsts::SHARE_VERSION_ONE {
                return Err(LocalDaError::InvalidBlob(format!(
                    "blob {index} has share version {}: only versions 0 and 1 can be submitted",
                    blob.share_version
                )));
            }
            blob.validate().map_err(|e| {
                LocalDaError::InvalidBlob(format!(
                    "blob {index}: commitment does not match its data ({e})"
                ))
            })?;
        }
        let refs: Vec<&Blob> = blobs.iter().collect();
        if square::square_width_for(&refs).is_none() {
            return Err(LocalDaError::SquareFull);
        }
        let gas_price = gas_price
            .filter(|p| *p >= 0.0)
            .unwrap_or(self.inner.cfg.min_gas_price)
            .max(self.inner.cfg.min_gas_price);
        let fee = (estimate_gas(&blobs) as f64 * gas_price).ceil() as u64;
        let balance = self.inner.store.balance(self.inner.cfg.initial_balance)?;
        if fee > balance {
            return Err(LocalDaError::InvalidBlob(format!(
                "insufficient funds: fee {fee}utia, balance {balance}utia"
            )));
        }
        let (done, rx) = oneshot::channel();
        let blobs: Vec<Blob> = blobs
            .into_iter()
            .map(|mut b| {
                b.index = None;
                b
            })
            .collect();
        {
            let mut pending = self.lock_pending();
            let queued: usize = pending
                .iter()
                .flat_map(|p| p.blobs.iter())
                .map(|b| b.data.len())
                .sum();
            let adding: usize = blobs.iter().map(|b: &Blob| b.data.len()).sum();
            let max = self.inner.cfg.max_pending_bytes;
            if queued + adding > max {
                return Err(LocalDaError::MempoolFull { queued, max });
            }
            pending.push(Pending { blobs, fee, done });
        }
        rx.await.map_err(|_| LocalDaError::ShuttingDown)?
    }

    fn check_height(&self, height: u64) -> Result<(), LocalDaError> {
        if height == 0 {
            return Err(LocalDaError::ZeroHeight);
        }
        let head = self.head_height();
        if height > head {
            return Err(LocalDaError::HeightFromFuture {
                head,
                requested: height,
            });
        }
        Ok(())
    }

    /// Header at `height` (must be ≤ head).
    pub fn header(&self, height: u64) -> Result<ExtendedHeader, LocalDaError> {
        self.check_height(height)?;
        self.inner
            .store
            .header(height)?
            .ok_or_else(|| LocalDaError::Storage(format!("header {height} missing below head")))
    }

    /// Header at the head.
    pub fn head_header(&self) -> Result<ExtendedHeader, LocalDaError> {
        self.header(self.head_height())
    }

    /// Waits until `height` exists (up to `wait_timeout`) and returns its header.
    pub async fn wait_for_height(&self, height: u64) -> Result<ExtendedHeader, LocalDaError> {
        if height == 0 {
            return Err(LocalDaError::ZeroHeight);
        }
        let mut rx = self.inner.head.subscribe();
        let wait = rx.wait_for(|h| *h >= height);
        match tokio::time::timeout(self.inner.cfg.wait_timeout, wait).await {
            Ok(Ok(_)) => {}
            Ok(Err(_)) => return Err(LocalDaError::ShuttingDown),
            Err(_) => return Err(LocalDaError::Timeout(height)),
        }
        self.header(height)
    }

    fn blobs_at(&self, height: u64) -> Result<Vec<Blob>, LocalDaError> {
        self.check_height(height)?;
        self.inner
            .store
            .blobs(height)?
            .ok_or_else(|| LocalDaError::Storage(format!("blobs of {height} missing below head")))
    }

    /// The blob with `commitment` in `namespace` at `height`.
    pub fn get_blob(
        &self,
        height: u64,
        namespace: Namespace,
        commitment: &[u8; 32],
    ) -> Result<Blob, LocalDaError> {
        self.blobs_at(height)?
            .into_iter()
            .find(|b| b.namespace == namespace && b.commitment.hash() == commitment)
            .ok_or(LocalDaError::BlobNotFound)
    }

    /// All blobs of `namespaces` at `height`, in square order.
    pub fn get_all_blobs(
        &self,
        height: u64,
        namespaces: &[Namespace],
    ) -> Result<Vec<Blob>, LocalDaError> {
        Ok(self
            .blobs_at(height)?
            .into_iter()
            .filter(|b| namespaces.contains(&b.namespace))
            .collect())
    }

    fn square_at(&self, height: u64) -> Result<Square, LocalDaError> {
        let blobs = self.blobs_at(height)?;
        let square = square::build(blobs)?;
        let header = self.header(height)?;
        if square.dah != header.dah {
            return Err(LocalDaError::Storage(format!(
                "blobs of block {height} do not rebuild its data square"
            )));
        }
        Ok(square)
    }

    /// NMT proofs of the blob's shares, one per row it spans.
    pub fn get_proof(
        &self,
        height: u64,
        namespace: Namespace,
        commitment: &[u8; 32],
    ) -> Result<Vec<NamespaceProof>, LocalDaError> {
        let square = self.square_at(height)?;
        let blob = square
            .find(namespace, commitment)
            .ok_or(LocalDaError::BlobNotFound)?;
        square.proofs(blob)
    }

    /// Whether `proofs` prove the blob with `commitment` at `height`: each must verify
    /// against the block's row roots for a row slice of that blob's shares. An unknown
    /// blob is `false`, like celestia-node.
    pub fn included(
        &self,
        height: u64,
        namespace: Namespace,
        proofs: &[NamespaceProof],
        commitment: &[u8; 32],
    ) -> Result<bool, LocalDaError> {
        let square = self.square_at(height)?;
        let Some(blob) = square.find(namespace, commitment) else {
            return Ok(false);
        };
        Ok(!proofs.is_empty() && proofs.iter().all(|p| square.verifies(blob, p)))
    }

    /// Current balance of the node's account, in utia.
    pub fn balance(&self) -> Result<u64, LocalDaError> {
        self.inner.store.balance(self.inner.cfg.initial_balance)
    }
}

/// Maps a local error to the seam's error.
pub(crate) fn to_da_error(e: LocalDaError, height: u64) -> DaError {
    match e {
        LocalDaError::BlobNotFound => DaError::NotFound(height),
        LocalDaError::HeightFromFuture { .. }
        | LocalDaError::MempoolFull { .. }
        | LocalDaError::Timeout(_)
        | LocalDaError::ShuttingDown
        | LocalDaError::Storage(_) => DaError::Unavailable(e.to_string()),
        other => DaError::Rejected(other.to_string()),
    }
}

fn to_celestia_ns(namespace: minitia_core::Namespace) -> Result<Namespace, DaError> {
    check_namespace(&namespace.0).map_err(|e| DaError::Rejected(e.to_string()))
}

impl DaClient for LocalDa {
    async fn submit(
        &self,
        namespace: minitia_core::Namespace,
        blobs: Vec<Vec<u8>>,
    ) -> Result<Vec<BlobPointer>, DaError> {
        let ns = to_celestia_ns(namespace)?;
        let blobs = blobs
            .into_iter()
            .map(|data| Blob::new(ns, data, None))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| DaError::Rejected(e.to_string()))?;
        let commitments: Vec<Hash32> = blobs.iter().map(|b| Hash32(*b.commitment.hash())).collect();
        let height = self
            .submit_blobs(blobs, None)
            .await
            .map_err(|e| to_da_error(e, 0))?;
        Ok(commitments
            .into_iter()
            .map(|commitment| BlobPointer { height, commitment })
            .collect())
    }

    async fn get(
        &self,
        namespace: minitia_core::Namespace,
        pointer: BlobPointer,
    ) -> Result<Vec<u8>, DaError> {
        let ns = to_celestia_ns(namespace)?;
        self.get_blob(pointer.height, ns, pointer.commitment.as_bytes())
            .map(|b| b.data)
            .map_err(|e| to_da_error(e, pointer.height))
    }

    async fn get_all(
        &self,
        namespace: minitia_core::Namespace,
        height: u64,
    ) -> Result<Vec<Vec<u8>>, DaError> {
        let ns = to_celestia_ns(namespace)?;
        self.get_all_blobs(height, &[ns])
            .map(|v| v.into_iter().map(|b| b.data).collect())
            .map_err(|e| to_da_error(e, height))
    }

    async fn head(&self) -> Result<u64, DaError> {
        Ok(self.head_height())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(n: usize) -> Blob {
        Blob::new(Namespace::new_v0(b"pending").unwrap(), vec![3; n], None).unwrap()
    }

    #[tokio::test]
    async fn full_queue_refuses_retryably_and_drains_on_next_block() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = LocalDaConfig::new(dir.path());
        cfg.max_pending_bytes = 1_000;
        let da = LocalDa::open(cfg).unwrap();
        assert_eq!(da.head_height(), 1, "genesis block written on first open");
        let first = tokio::spawn({
            let da = da.clone();
            async move { da.submit_blobs(vec![blob(800)], None).await }
        });
        // wait until the first submission is queued
        while da.lock_pending().is_empty() {
            tokio::task::yield_now().await;
        }
        let err = da.submit_blobs(vec![blob(800)], None).await.unwrap_err();
        assert_eq!(
            err,
            LocalDaError::MempoolFull {
                queued: 800,
                max: 1_000
            }
        );
        assert!(to_da_error(err, 0).is_retryable());
        da.produce_block().unwrap();
        assert_eq!(first.await.unwrap().unwrap(), 2);
        // room again
        let second = tokio::spawn({
            let da = da.clone();
            async move { da.submit_blobs(vec![blob(800)], None).await }
        });
        while da.lock_pending().is_empty() {
            tokio::task::yield_now().await;
        }
        da.produce_block().unwrap();
        assert_eq!(second.await.unwrap().unwrap(), 3);
        assert_eq!(da.get_all_blobs(3, &[blob(1).namespace]).unwrap().len(), 1);
    }
}
