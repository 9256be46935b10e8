//! Where batches are recorded: OPinit `MsgRecordBatch` txs on the L1, read with CometBFT
//! `tx_search` on the `record_batch` events the L1 emits, in L1 order.

use std::future::Future;

use cosmrs::tx::Tx;
use minitia_chain::client::RemoteChain;
use minitia_da::batch::BatchRecord;
use tendermint_rpc::{query::Query, Client, Order};

use super::FollowerError;

const RECORD_BATCH_TYPE_URL: &str = "/opinit.ophost.v1.MsgRecordBatch";
const QUERY_BRIDGE: &str = "/opinit.ophost.v1.Query/Bridge";

/// Position of one `MsgRecordBatch` on the L1: (L1 height, tx index, message index).
pub type L1Position = (u64, u32, u32);

/// One batch record found on the L1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1Record {
    /// Where it is.
    pub position: L1Position,
    /// The L1 tx hash (upper-case hex).
    pub tx_hash: String,
    /// The decoded `batch_bytes`, or why they are not a [`BatchRecord`].
    pub record: Result<BatchRecord, String>,
}

/// An output deletion on the L1 (`MsgDeleteOutput`, or a fraud proof that proved an output
/// wrong) that the sequencer acted on: it rolled back to `rollback_to` (the L2 block of the
/// last output left) and re-posted its chain from there, so batch records at L1 positions
/// before `position` are superseded for every L2 height above `rollback_to`. (A deletion of
/// a wrong root over a sound chain is not followed by a re-post and voids nothing.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deletion {
    /// Where on the L1 (height, tx index).
    pub position: (u64, u32),
    /// First output index deleted.
    pub output_index: u64,
    /// L2 block of output `output_index - 1` (0 when none is left).
    pub rollback_to: u64,
}

/// Whether the block at L2 `height` of a batch recorded at L1 `position` was voided by a
/// later output deletion.
pub fn superseded(deletions: &[Deletion], position: L1Position, height: u64) -> Option<Deletion> {
    deletions
        .iter()
        .find(|d| d.position > (position.0, position.1) && height > d.rollback_to)
        .copied()
}

/// A source of batch records, oldest first.
pub trait RecordSource: Send + Sync {
    /// Every record at L1 height ≥ `from_l1_height`, in L1 order.
    fn records(
        &self,
        from_l1_height: u64,
    ) -> impl Future<Output = Result<Vec<L1Record>, FollowerError>> + Send;

    /// Every output deletion of the bridge the sequencer rolled back for, in L1 order.
    /// Sources without an L1 keep the default (none).
    fn deletions(&self) -> impl Future<Output = Result<Vec<Deletion>, FollowerError>> + Send {
        async { Ok(Vec::new()) }
    }
}

use minitia_chain::opinit::{MsgRecordBatch, QueryBridgeRequest, QueryBridgeResponse};

/// An RPC error on one line, without the backtrace tendermint-rpc appends to it.
fn brief(e: &dyn std::fmt::Display) -> String {
    let s = e.to_string();
    let cut = ["\n\nLocation:", "\n\nStack backtrace:"]
        .iter()
        .filter_map(|m| s.find(m))
        .min()
        .unwrap_or(s.len());
    s[..cut].split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The records of one bridge on a remote L1, from its batch submitter only (the L1 lets
/// anyone record bytes for a bridge; only the bridge's submitter counts).
#[derive(Debug, Clone)]
pub struct L1Records {
    l1: RemoteChain,
    bridge_id: u64,
    submitter: String,
    /// Deletions the sequencer is known to have rolled back for (they stay so).
    enacted: std::sync::Arc<std::sync::Mutex<std::collections::BTreeSet<(u64, u32)>>>,
}

impl L1Records {
    /// Records of `bridge_id` signed by `submitter`.
    pub fn new(l1: RemoteChain, bridge_id: u64, submitter: String) -> Self {
        Self {
            l1,
            bridge_id,
            submitter,
            enacted: Default::default(),
        }
    }

    /// Records of `bridge_id` signed by the batch submitter the L1's bridge config names
    /// (`Query/Bridge` → `bridge_config.batch_info.submitter`).
    pub async fn for_bridge(l1: RemoteChain, bridge_id: u64) -> Result<Self, FollowerError> {
        let r: QueryBridgeResponse = l1
            .query_proto(QUERY_BRIDGE, &QueryBridgeRequest { bridge_id }, None)
            .await
            .map_err(|e| {
                FollowerError::L1(format!("querying bridge {bridge_id}: {}", brief(&e)))
            })?;
        let submitter = r
            .bridge_config
            .and_then(|c| c.batch_info)
            .map(|b| b.submitter)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                FollowerError::Config(format!(
                    "bridge {bridge_id} on the L1 has no batch submitter; check [l1] bridge_id"
                ))
            })?;
        Ok(Self::new(l1, bridge_id, submitter))
    }

    /// The batch submitter whose records count.
    pub fn submitter(&self) -> &str {
        &self.submitter
    }
}

impl RecordSource for L1Records {
    async fn deletions(&self) -> Result<Vec<Deletion>, FollowerError> {
        use minitia_chain::opinit::{QueryOutputProposalRequest, QueryOutputProposalResponse};
        let q = Query::eq("delete_output.bridge_id", self.bridge_id.to_string());
        let mut out = Vec::new();
        let mut page = 1u32;
        loop {
            let r = self
                .l1
                .rpc()
                .tx_search(q.clone(), false, page, 100, Order::Ascending)
                .await
                .map_err(|e| {
                    FollowerError::L1(format!("tx_search for output deletions: {}", brief(&e)))
                })?;
            let n = r.txs.len();
            for t in &r.txs {
                if t.tx_result.code.is_err() {
                    continue;
                }
                for e in t
                    .tx_result
                    .events
                    .iter()
                    .filter(|e| e.kind == "delete_output")
                {
                    let attr = |k: &str| {
                        e.attributes
                            .iter()
                            .find(|a| a.key_str().ok() == Some(k))
                            .and_then(|a| a.value_str().ok().map(str::to_string))
                    };
                    if attr("bridge_id") != Some(self.bridge_id.to_string()) {
                        continue;
                    }
                    let Some(index) = attr("output_index").and_then(|v| v.parse::<u64>().ok())
                    else {
                        continue;
                    };
                    let height = t.height.value();
                    // The output left below the deleted ones, as it was right after.
                    let rollback_to = if index <= 1 {
                        0
                    } else {
                        let req = QueryOutputProposalRequest {
                            bridge_id: self.bridge_id,
                            output_index: index - 1,
                        };
                        const PATH: &str = "/opinit.ophost.v1.Query/OutputProposal";
                        // At the deletion's height; the L1 may have pruned it, and the output
                        // below a deletion stays unless a later deletion reaches it.
                        let at = self.l1.query_proto(PATH, &req, Some(height)).await;
                        let r: QueryOutputProposalResponse = match at {
                            Ok(r) => Ok(r),
                            Err(_) => self.l1.query_proto(PATH, &req, None).await,
                        }
                        .map_err(|e| {
                            FollowerError::L1(format!(
                                "output {} of bridge {} at L1 height {height}: {}",
                                index - 1,
                                self.bridge_id,
                                brief(&e)
                            ))
                        })?;
                        r.output_proposal.map_or(0, |o| o.l2_block_number)
                    };
                    let d = Deletion {
                        position: (height, t.index),
                        output_index: index,
                        rollback_to,
                    };
                    if self.enacted.lock().is_ok_and(|e| e.contains(&d.position))
                        || self.rolled_back_after(&d).await?
                    {
                        if let Ok(mut e) = self.enacted.lock() {
                            e.insert(d.position);
                        }
                        out.push(d);
                    }
                }
            }
            let seen = (page as usize - 1) * 100 + n;
            if n == 0 || seen >= r.total_count as usize {
                break;
            }
            page += 1;
        }
        out.sort_by_key(|d| d.position);
        Ok(out)
    }

    async fn records(&self, from_l1_height: u64) -> Result<Vec<L1Record>, FollowerError> {
        self.search(from_l1_height, u32::MAX).await
    }
}

impl L1Records {
    /// Records at L1 height ≥ `from_l1_height`, from the first `max_pages` pages of 100.
    async fn search(
        &self,
        from_l1_height: u64,
        max_pages: u32,
    ) -> Result<Vec<L1Record>, FollowerError> {
        let q = Query::eq("record_batch.bridge_id", self.bridge_id.to_string())
            .and_eq("record_batch.submitter", self.submitter.clone())
            .and_gte("tx.height", from_l1_height);
        let per_page: u8 = 100;
        let mut out = Vec::new();
        let mut page = 1u32;
        loop {
            let r = self
                .l1
                .rpc()
                .tx_search(q.clone(), false, page, per_page, Order::Ascending)
                .await
                .map_err(|e| {
                    FollowerError::L1(format!("tx_search for batch records: {}", brief(&e)))
                })?;
            let n = r.txs.len();
            for t in r.txs {
                if t.tx_result.code.is_err() {
                    continue;
                }
                let hash = t.hash.to_string();
                let height = t.height.value();
                let bad = |reason: String| FollowerError::BadRecord {
                    l1_height: height,
                    tx_hash: hash.clone(),
                    reason,
                };
                let tx = Tx::from_bytes(&t.tx).map_err(|e| bad(format!("tx: {e}")))?;
                for (i, msg) in tx.body.messages.iter().enumerate() {
                    if msg.type_url != RECORD_BATCH_TYPE_URL {
                        continue;
                    }
                    let m: MsgRecordBatch = prost::Message::decode(msg.value.as_slice())
                        .map_err(|e| bad(format!("MsgRecordBatch: {e}")))?;
                    if m.bridge_id != self.bridge_id || m.submitter != self.submitter {
                        continue;
                    }
                    out.push(L1Record {
                        position: (height, t.index, i as u32),
                        tx_hash: hash.clone(),
                        record: BatchRecord::from_bytes(&m.batch_bytes).map_err(|e| e.to_string()),
                    });
                }
            }
            let seen = (page as usize - 1) * per_page as usize + n;
            if n == 0 || seen >= r.total_count as usize || page >= max_pages {
                break;
            }
            page += 1;
        }
        out.sort_by_key(|r| r.position);
        Ok(out)
    }

    /// Whether the sequencer acted on deletion `d` by rolling back: a record after it (among
    /// the next 100) re-posts from `d.rollback_to + 1` or lower. A deletion of a wrong output
    /// root over a sound chain is not followed by one, and voids no block.
    async fn rolled_back_after(&self, d: &Deletion) -> Result<bool, FollowerError> {
        Ok(self.search(d.position.0, 1).await?.iter().any(|r| {
            (r.position.0, r.position.1) > d.position
                && r.record
                    .as_ref()
                    .ok()
                    .and_then(|b| b.range().ok())
                    .is_some_and(|(start, _)| start <= d.rollback_to + 1)
        }))
    }
}
