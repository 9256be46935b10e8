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

/// A source of batch records, oldest first.
pub trait RecordSource: Send + Sync {
    /// Every record at L1 height ≥ `from_l1_height`, in L1 order.
    fn records(
        &self,
        from_l1_height: u64,
    ) -> impl Future<Output = Result<Vec<L1Record>, FollowerError>> + Send;
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
}

impl L1Records {
    /// Records of `bridge_id` signed by `submitter`.
    pub fn new(l1: RemoteChain, bridge_id: u64, submitter: String) -> Self {
        Self {
            l1,
            bridge_id,
            submitter,
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
    async fn records(&self, from_l1_height: u64) -> Result<Vec<L1Record>, FollowerError> {
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
            if n == 0 || seen >= r.total_count as usize {
                break;
            }
            page += 1;
        }
        out.sort_by_key(|r| r.position);
        Ok(out)
    }
}
