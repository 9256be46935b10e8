//! Batch records on the L1: OPinit's `MsgRecordBatch` and reading them back with CometBFT
//! `tx_search` on the `record_batch` events the L1 emits (`submitter`, `bridge_id`).
//!
//! The batcher uses [`recorded_batches`] to stay exactly-once across crashes; a follower uses
//! it to find every batch of a bridge, in L1 order. The L1 does not look inside
//! `batch_bytes`, so a reader passes the bridge's batch submitter to ignore records anyone
//! else sent.

use cosmrs::{tx::Tx, Any};
use minitia_da::batch::BatchRecord;
use tendermint_rpc::{query::Query, Client, HttpClient, Order};

/// `/opinit.ophost.v1.MsgRecordBatch`.
pub const RECORD_BATCH_TYPE_URL: &str = "/opinit.ophost.v1.MsgRecordBatch";

pub use minitia_chain::opinit::MsgRecordBatch;

/// Packs `m` as an `Any`.
pub fn record_batch_any(m: &MsgRecordBatch) -> Any {
    Any {
        type_url: RECORD_BATCH_TYPE_URL.into(),
        value: prost::Message::encode_to_vec(m),
    }
}

/// One record found on the L1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedBatch {
    /// L1 height of the tx.
    pub l1_height: u64,
    /// Position of the tx in its block.
    pub tx_index: u32,
    /// Tx hash (upper-case hex).
    pub tx_hash: String,
    /// The message's submitter.
    pub submitter: String,
    /// The decoded record, or why `batch_bytes` is not one (a reader must halt on it if the
    /// submitter is the bridge's, never skip it).
    pub record: Result<BatchRecord, String>,
}

/// Why the records could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordsError {
    /// The L1 RPC failed.
    #[error("L1 tx_search failed: {0}")]
    Rpc(String),
    /// A tx the index returned does not decode.
    #[error("L1 tx {hash} at height {height} does not decode: {reason}")]
    BadTx {
        /// Tx hash.
        hash: String,
        /// Height.
        height: u64,
        /// Why.
        reason: String,
    },
}

/// Every successful `MsgRecordBatch` of `bridge_id` at L1 height ≥ `from_height`, oldest
/// first, optionally only those whose submitter is `submitter`. Each message of a tx is
/// one entry.
pub async fn recorded_batches(
    rpc: &HttpClient,
    bridge_id: u64,
    submitter: Option<&str>,
    from_height: u64,
) -> Result<Vec<RecordedBatch>, RecordsError> {
    let mut q = Query::eq("record_batch.bridge_id", bridge_id.to_string())
        .and_gte("tx.height", from_height);
    if let Some(s) = submitter {
        q = q.and_eq("record_batch.submitter", s.to_string());
    }
    let mut out = Vec::new();
    let per_page: u8 = 100;
    let mut page = 1u32;
    loop {
        let r = rpc
            .tx_search(q.clone(), false, page, per_page, Order::Ascending)
            .await
            .map_err(|e| RecordsError::Rpc(e.to_string()))?;
        let n = r.txs.len();
        for t in r.txs {
            if t.tx_result.code.is_err() {
                continue;
            }
            let hash = t.hash.to_string();
            let height = t.height.value();
            let tx = Tx::from_bytes(&t.tx).map_err(|e| RecordsError::BadTx {
                hash: hash.clone(),
                height,
                reason: e.to_string(),
            })?;
            for msg in &tx.body.messages {
                if msg.type_url != RECORD_BATCH_TYPE_URL {
                    continue;
                }
                let m: MsgRecordBatch =
                    prost::Message::decode(msg.value.as_slice()).map_err(|e| {
                        RecordsError::BadTx {
                            hash: hash.clone(),
                            height,
                            reason: format!("MsgRecordBatch: {e}"),
                        }
                    })?;
                if m.bridge_id != bridge_id || submitter.is_some_and(|s| s != m.submitter) {
                    continue;
                }
                out.push(RecordedBatch {
                    l1_height: height,
                    tx_index: t.index,
                    tx_hash: hash.clone(),
                    submitter: m.submitter,
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
    Ok(out)
}
