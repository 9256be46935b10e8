//! How final the minitia's blocks are, as the L1 sees them: the heights behind the Ethereum
//! block tags `safe` and `finalized` (and the same figures on status pages).
//!
//! - **safe**: the highest L2 height covered by a batch whose location (a DA pointer) or data
//!   (inline blobs) is recorded on the L1 with `MsgRecordBatch` — anyone can now rebuild the
//!   chain up to there from L1 + DA alone. (For inline batches the height counts once its first
//!   blob is recorded; the batcher records every blob of a batch in one burst.)
//! - **finalized**: the `l2_block_number` of the bridge's last finalized output on the L1
//!   (`/opinit.ophost.v1.Query/LastFinalizedOutput`): its finalization period has passed, so
//!   withdrawals up to there can be claimed and the challenge window is closed.
//!
//! Without an L1 (`[l1] rpc` empty) there is nothing beyond the sequencer's own seal:
//! [`Finality::standalone`] makes both tags follow the latest block, as they did before.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};
use std::time::Duration;

use minitia_chain::{
    client::RemoteChain,
    opinit::{QueryBridgeRequest, QueryBridgeResponse, QueryLastFinalizedOutputResponse},
};
use serde::Serialize;

use crate::batcher::records::recorded_batches;

const BRIDGE: &str = "/opinit.ophost.v1.Query/Bridge";
const LAST_FINALIZED_OUTPUT: &str = "/opinit.ophost.v1.Query/LastFinalizedOutput";

/// The safe and finalized L2 heights; shared by the RPC servers and the L1 watcher.
#[derive(Debug)]
pub struct Finality {
    tracked: bool,
    safe: AtomicU64,
    finalized: AtomicU64,
}

/// A snapshot for status pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FinalityStatus {
    /// Whether an L1 is watched (false: both follow the latest block).
    pub tracked: bool,
    /// Highest L2 height recorded in a batch on the L1.
    pub safe: u64,
    /// L2 height of the last finalized output.
    pub finalized: u64,
}

impl Finality {
    /// No L1: `safe` and `finalized` are the latest block.
    pub fn standalone() -> Arc<Self> {
        Arc::new(Self {
            tracked: false,
            safe: AtomicU64::new(0),
            finalized: AtomicU64::new(0),
        })
    }

    /// Tracked from an L1 by [`watch_l1`]; both start at 0 (genesis) until the L1 says more.
    pub fn tracked() -> Arc<Self> {
        Arc::new(Self {
            tracked: true,
            safe: AtomicU64::new(0),
            finalized: AtomicU64::new(0),
        })
    }

    /// The `safe` height given the chain's `head`.
    pub fn safe(&self, head: u64) -> u64 {
        if self.tracked {
            self.safe.load(Ordering::Relaxed).min(head)
        } else {
            head
        }
    }

    /// The `finalized` height given the chain's `head`.
    pub fn finalized(&self, head: u64) -> u64 {
        if self.tracked {
            self.finalized.load(Ordering::Relaxed).min(head)
        } else {
            head
        }
    }

    /// Raises the safe height (it never goes down).
    pub fn note_safe(&self, height: u64) {
        self.safe.fetch_max(height, Ordering::Relaxed);
    }

    /// Sets the finalized height. It can go down: a fraud proof deletes outputs.
    pub fn note_finalized(&self, height: u64) {
        self.finalized.store(height, Ordering::Relaxed);
    }

    /// A snapshot.
    pub fn status(&self) -> FinalityStatus {
        FinalityStatus {
            tracked: self.tracked,
            safe: self.safe.load(Ordering::Relaxed),
            finalized: self.finalized.load(Ordering::Relaxed),
        }
    }
}

/// The bridge's batch submitter as the L1 has it (records from anyone else are ignored, as the
/// follower ignores them).
pub async fn batch_submitter(l1: &RemoteChain, bridge_id: u64) -> Result<String, String> {
    let r: QueryBridgeResponse = l1
        .query_proto(BRIDGE, &QueryBridgeRequest { bridge_id }, None)
        .await
        .map_err(|e| e.to_string())?;
    r.bridge_config
        .and_then(|c| c.batch_info)
        .map(|b| b.submitter)
        .ok_or_else(|| format!("bridge {bridge_id} has no batch submitter on the L1"))
}

/// The highest L2 height covered by the records of `bridge_id` by `submitter` at L1 height ≥
/// `from_l1_height` (the batcher's own reader, [`recorded_batches`]), and the L1 height to read
/// from next time.
pub async fn recorded_height_since(
    l1: &RemoteChain,
    bridge_id: u64,
    submitter: &str,
    from_l1_height: u64,
) -> Result<(Option<u64>, u64), String> {
    let records = recorded_batches(l1.rpc(), bridge_id, Some(submitter), from_l1_height)
        .await
        .map_err(|e| e.to_string())?;
    let next = records.last().map_or(from_l1_height, |r| r.l1_height + 1);
    let best = records
        .iter()
        .filter_map(|r| r.record.as_ref().ok()?.range().ok())
        .map(|(_, end)| end)
        .max();
    Ok((best, next))
}

/// The end height of the newest batch record of `bridge_id` on the L1, if any.
pub async fn latest_recorded_height(
    l1: &RemoteChain,
    bridge_id: u64,
) -> Result<Option<u64>, String> {
    let submitter = batch_submitter(l1, bridge_id).await?;
    Ok(recorded_height_since(l1, bridge_id, &submitter, 1).await?.0)
}

/// The L2 height of the last finalized output of `bridge_id` (0 when none).
pub async fn finalized_height(l1: &RemoteChain, bridge_id: u64) -> Result<u64, String> {
    let r: QueryLastFinalizedOutputResponse = l1
        .query_proto(
            LAST_FINALIZED_OUTPUT,
            &QueryBridgeRequest { bridge_id },
            None,
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(r.output_proposal.map_or(0, |o| o.l2_block_number))
}

/// Polls the L1 every `every` and updates `finality` until `shutdown` resolves. Errors are
/// logged (once per change of message) and retried; the figures keep their last values.
pub async fn watch_l1(
    finality: Arc<Finality>,
    l1: RemoteChain,
    bridge_id: u64,
    every: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut last_error = String::new();
    // Each round reads only the records added since the last one.
    let mut cursor = 1u64;
    let mut submitter: Option<String> = None;
    loop {
        let round = async {
            let who = match &submitter {
                Some(s) => s.clone(),
                None => batch_submitter(&l1, bridge_id).await?,
            };
            submitter = Some(who.clone());
            let (best, next) = recorded_height_since(&l1, bridge_id, &who, cursor).await?;
            cursor = next;
            if let Some(h) = best {
                finality.note_safe(h);
            }
            finality.note_finalized(finalized_height(&l1, bridge_id).await?);
            Ok::<(), String>(())
        };
        match round.await {
            Ok(()) => last_error.clear(),
            Err(e) if e != last_error => {
                tracing::warn!(error = %e, "cannot read batch records / finalized outputs from the L1");
                last_error = e;
            }
            Err(_) => {}
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

/// The finality of a node configured by `config`: watched from `[l1] rpc` for `[l1] bridge_id`
/// (a task polling every 2 s until `shutdown`) when both are set, standalone otherwise.
pub fn from_config(
    config: &crate::config::NodeConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Arc<Finality> {
    if config.l1.rpc.is_empty() || config.l1.bridge_id == 0 {
        return Finality::standalone();
    }
    match RemoteChain::new(&config.l1.rpc) {
        Ok(l1) => {
            let f = Finality::tracked();
            tokio::spawn(watch_l1(
                f.clone(),
                l1,
                config.l1.bridge_id,
                Duration::from_secs(2),
                shutdown,
            ));
            f
        }
        Err(e) => {
            tracing::warn!(error = %e, "[l1] rpc is unusable; safe/finalized follow the latest block");
            Finality::standalone()
        }
    }
}
