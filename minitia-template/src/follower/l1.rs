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

/// The error for a follower whose block at `height` (at or below its `tip`) differs from the
/// one a record at `position` carries, when a deletion before that record voided ours: the
/// node derived the discarded chain and must be rolled back. `None`: no deletion explains
/// the difference (the sequencer equivocated).
pub fn rolled_back(
    deletions: &[Deletion],
    position: L1Position,
    height: u64,
    tip: u64,
) -> Option<FollowerError> {
    deletions
        .iter()
        .rfind(|d| d.position < (position.0, position.1) && d.rollback_to < height)
        .map(|d| FollowerError::RolledBack {
            output_index: d.output_index,
            l1_height: d.position.0,
            rollback_to: d.rollback_to,
            tip,
        })
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

/// Deletions seen, by L1 position, with whether the sequencer has re-posted for each.
type KnownDeletions = std::collections::BTreeMap<(u64, u32), (Deletion, bool)>;

/// The records of one bridge on a remote L1, from its batch submitter only (the L1 lets
/// anyone record bytes for a bridge; only the bridge's submitter counts).
#[derive(Debug, Clone)]
pub struct L1Records {
    l1: RemoteChain,
    bridge_id: u64,
    submitter: String,
    /// Deletions seen, by L1 position, and whether the sequencer has re-posted for them.
    known: std::sync::Arc<std::sync::Mutex<KnownDeletions>>,
}

impl L1Records {
    /// Records of `bridge_id` signed by `submitter`.
    pub fn new(l1: RemoteChain, bridge_id: u64, submitter: String) -> Self {
        Self {
            l1,
            bridge_id,
            submitter,
            known: Default::default(),
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
        let q = Query::eq("delete_output.bridge_id", self.bridge_id.to_string());
        let mut out = Vec::new();
        for t in self.tx_search(q, "output deletions", u32::MAX).await? {
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
                let Some(index) = attr("output_index").and_then(|v| v.parse::<u64>().ok()) else {
                    continue;
                };
                let position = (t.height.value(), t.index);
                // A deletion's rollback height never changes, and once the sequencer has
                // re-posted for it, it stays acted on: resolve each once.
                let known = self
                    .known
                    .lock()
                    .ok()
                    .and_then(|k| k.get(&position).copied());
                let (d, enacted) = match known {
                    Some((d, true)) => (d, true),
                    Some((d, false)) => (d, self.rolled_back_after(&d).await?),
                    None => {
                        let d = Deletion {
                            position,
                            output_index: index,
                            rollback_to: self
                                .output_block(index.saturating_sub(1), position.0)
                                .await?,
                        };
                        (d, self.rolled_back_after(&d).await?)
                    }
                };
                if let Ok(mut k) = self.known.lock() {
                    k.insert(position, (d, enacted));
                }
                if enacted {
                    out.push(d);
                }
            }
        }
        out.sort_by_key(|d| d.position);
        Ok(out)
    }

    async fn records(&self, from_l1_height: u64) -> Result<Vec<L1Record>, FollowerError> {
        self.search(from_l1_height, u32::MAX).await
    }
}

impl L1Records {
    /// Successful txs matching `q`, in L1 order, from the first `max_pages` pages of 100.
    async fn tx_search(
        &self,
        q: Query,
        what: &str,
        max_pages: u32,
    ) -> Result<Vec<tendermint_rpc::endpoint::tx::Response>, FollowerError> {
        const PER_PAGE: u8 = 100;
        let mut out = Vec::new();
        let mut page = 1u32;
        loop {
            let r = self
                .l1
                .rpc()
                .tx_search(q.clone(), false, page, PER_PAGE, Order::Ascending)
                .await
                .map_err(|e| FollowerError::L1(format!("tx_search for {what}: {}", brief(&e))))?;
            let n = r.txs.len();
            out.extend(r.txs.into_iter().filter(|t| t.tx_result.code.is_ok()));
            let seen = (page as usize - 1) * PER_PAGE as usize + n;
            if n == 0 || seen >= r.total_count as usize || page >= max_pages {
                break;
            }
            page += 1;
        }
        Ok(out)
    }

    /// The L2 block of output `index` (0 for index 0: none left), as the L1 held it at
    /// `l1_height` — or now, if the L1 pruned that height (the output below a deletion stays
    /// unless a later deletion reaches it).
    async fn output_block(&self, index: u64, l1_height: u64) -> Result<u64, FollowerError> {
        use minitia_chain::opinit::{QueryOutputProposalRequest, QueryOutputProposalResponse};
        const PATH: &str = "/opinit.ophost.v1.Query/OutputProposal";
        if index == 0 {
            return Ok(0);
        }
        let req = QueryOutputProposalRequest {
            bridge_id: self.bridge_id,
            output_index: index,
        };
        let r: QueryOutputProposalResponse =
            match self.l1.query_proto(PATH, &req, Some(l1_height)).await {
                Ok(r) => Ok(r),
                Err(_) => self.l1.query_proto(PATH, &req, None).await,
            }
            .map_err(|e| {
                FollowerError::L1(format!(
                    "output {index} of bridge {} at L1 height {l1_height}: {}",
                    self.bridge_id,
                    brief(&e)
                ))
            })?;
        Ok(r.output_proposal.map_or(0, |o| o.l2_block_number))
    }

    /// Records at L1 height ≥ `from_l1_height`, from the first `max_pages` pages of 100.
    async fn search(
        &self,
        from_l1_height: u64,
        max_pages: u32,
    ) -> Result<Vec<L1Record>, FollowerError> {
        let q = Query::eq("record_batch.bridge_id", self.bridge_id.to_string())
            .and_eq("record_batch.submitter", self.submitter.clone())
            .and_gte("tx.height", from_l1_height);
        let mut out = Vec::new();
        for t in self.tx_search(q, "batch records", max_pages).await? {
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
