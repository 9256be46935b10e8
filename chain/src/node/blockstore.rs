//! The block store: blocks, commits, results, tx and event indexes, and the persisted
//! mempool, in one redb file. Blocks and the mempool share a database so that "block N is
//! stored" and "its txs left the mempool" happen in one atomic transaction.

use std::path::Path;

use minitia_core::{Event, Hash32, TxResult};
use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use tendermint::block::{Block, Commit};
use tendermint_proto::v0_37::types::Commit as RawCommit;
use tendermint_proto::Protobuf;

const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
const COMMITS: TableDefinition<u64, &[u8]> = TableDefinition::new("commits");
const RESULTS: TableDefinition<u64, &[u8]> = TableDefinition::new("results");
const BLOCK_BY_HASH: TableDefinition<&[u8], u64> = TableDefinition::new("block_by_hash");
const TX_BY_HASH: TableDefinition<&[u8], (u64, u32)> = TableDefinition::new("tx_by_hash");
/// `type.key` 0x00 `value` 0x00 height(8, BE) index(4, BE) → ().
const EVENT_INDEX: TableDefinition<&[u8], ()> = TableDefinition::new("event_index");
const MEMPOOL: TableDefinition<u64, &[u8]> = TableDefinition::new("mempool");

const HEIGHT_KEY: &str = "height";
const MEMPOOL_SEQ_KEY: &str = "mempool_seq";

/// Why the block store failed. All variants are fatal for the node except `NotFound`.
#[derive(Debug, thiserror::Error)]
pub enum BlockStoreError {
    /// The database failed.
    #[error("block store: {0}")]
    Db(String),
    /// Stored bytes do not decode.
    #[error("block store is corrupt: {0}; restore the data dir or resync from DA")]
    Corrupt(String),
    /// An event search on a node that does not index events.
    #[error("this node does not index tx events (tx_index = \"null\"); search by tx.hash or tx.height, or ask a node with tx_index = \"kv\"")]
    EventIndexOff,
}

fn db<E: std::fmt::Display>(e: E) -> BlockStoreError {
    BlockStoreError::Db(e.to_string())
}

/// Results of one block, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockResults {
    /// One per tx.
    pub tx_results: Vec<TxResult>,
    /// Block-level events.
    pub block_events: Vec<Event>,
}

/// Everything persisted for one new block.
pub struct NewBlock<'a> {
    /// The block.
    pub block: &'a Block,
    /// The commit that signs it.
    pub commit: &'a Commit,
    /// Its results.
    pub results: &'a BlockResults,
    /// Its tx hashes, in order (sha256 of each tx).
    pub tx_hashes: &'a [Hash32],
    /// Mempool entries to delete (the block's txs and anything it made stale).
    pub mempool_remove: &'a [u64],
}

/// The block store.
pub struct BlockStore {
    db: Database,
    group: GroupCommit,
    event_index: bool,
}

/// Group-commit state for mempool writes.
#[derive(Default)]
struct GroupCommit {
    state: std::sync::Mutex<GroupState>,
    done: std::sync::Condvar,
}

#[derive(Default)]
struct GroupState {
    next_ticket: u64,
    queue: Vec<(u64, Vec<u8>)>,
    flushing: bool,
    results: std::collections::HashMap<u64, Result<u64, String>>,
}

impl std::fmt::Debug for BlockStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlockStore")
    }
}

impl BlockStore {
    /// Opens or creates the store at `path`.
    pub fn open(path: &Path) -> Result<Self, BlockStoreError> {
        let database = Database::create(path).map_err(db)?;
        let tx = database.begin_write().map_err(db)?;
        {
            tx.open_table(META).map_err(db)?;
            tx.open_table(BLOCKS).map_err(db)?;
            tx.open_table(COMMITS).map_err(db)?;
            tx.open_table(RESULTS).map_err(db)?;
            tx.open_table(BLOCK_BY_HASH).map_err(db)?;
            tx.open_table(TX_BY_HASH).map_err(db)?;
            tx.open_table(EVENT_INDEX).map_err(db)?;
            tx.open_table(MEMPOOL).map_err(db)?;
        }
        tx.commit().map_err(db)?;
        Ok(Self {
            db: database,
            group: GroupCommit::default(),
            event_index: true,
        })
    }

    /// Whether [`BlockStore::put_block`] indexes tx events (on by default). Off, event
    /// searches fail with [`BlockStoreError::EventIndexOff`]; blocks stored while it was off
    /// are never indexed later.
    pub fn with_event_index(mut self, on: bool) -> Self {
        self.event_index = on;
        self
    }

    /// Latest stored block height (0 when none).
    pub fn height(&self) -> Result<u64, BlockStoreError> {
        let r = self.db.begin_read().map_err(db)?;
        let t = r.open_table(META).map_err(db)?;
        Ok(t.get(HEIGHT_KEY).map_err(db)?.map_or(0, |v| v.value()))
    }

    /// Stores a block with its commit, results and indexes, and removes mempool entries, in
    /// one durable transaction.
    pub fn put_block(&self, nb: NewBlock<'_>) -> Result<(), BlockStoreError> {
        let height = nb.block.header.height.value();
        let mut tx = self.db.begin_write().map_err(db)?;
        tx.set_durability(Durability::Immediate).map_err(db)?;
        {
            let block_bytes =
                Protobuf::<tendermint_proto::types::Block>::encode_vec(nb.block.clone());
            let commit_bytes = prost::Message::encode_to_vec(&RawCommit::from(nb.commit.clone()));
            let results = serde_json::to_vec(nb.results).map_err(db)?;
            tx.open_table(BLOCKS)
                .map_err(db)?
                .insert(height, block_bytes.as_slice())
                .map_err(db)?;
            tx.open_table(COMMITS)
                .map_err(db)?
                .insert(height, commit_bytes.as_slice())
                .map_err(db)?;
            tx.open_table(RESULTS)
                .map_err(db)?
                .insert(height, results.as_slice())
                .map_err(db)?;
            tx.open_table(BLOCK_BY_HASH)
                .map_err(db)?
                .insert(nb.block.header.hash().as_bytes(), height)
                .map_err(db)?;
            // Keys inserted in order: a block's tx hashes and event keys are scattered over
            // the B-trees, and sorted inserts touch each page once instead of once per key.
            let mut hashes: Vec<(&[u8], u32)> = nb
                .tx_hashes
                .iter()
                .enumerate()
                .map(|(i, h)| (h.as_bytes().as_slice(), i as u32))
                .collect();
            hashes.sort_unstable();
            let mut by_hash = tx.open_table(TX_BY_HASH).map_err(db)?;
            for (h, i) in hashes {
                by_hash.insert(h, (height, i)).map_err(db)?;
            }
            let mut keys = Vec::new();
            let mut composite = String::new();
            let indexed = if self.event_index {
                nb.results.tx_results.as_slice()
            } else {
                &[]
            };
            for (i, r) in indexed.iter().enumerate().take(nb.tx_hashes.len()) {
                for e in &r.events {
                    for a in e.attributes.iter().filter(|a| a.index) {
                        composite.clear();
                        composite.push_str(&e.kind);
                        composite.push('.');
                        composite.push_str(&a.key);
                        keys.push(event_key(&composite, &a.value, height, i as u32));
                    }
                }
            }
            keys.sort_unstable();
            let mut events = tx.open_table(EVENT_INDEX).map_err(db)?;
            for k in &keys {
                events.insert(k.as_slice(), ()).map_err(db)?;
            }
            let mut mp = tx.open_table(MEMPOOL).map_err(db)?;
            for seq in nb.mempool_remove {
                mp.remove(*seq).map_err(db)?;
            }
            tx.open_table(META)
                .map_err(db)?
                .insert(HEIGHT_KEY, height)
                .map_err(db)?;
        }
        tx.commit().map_err(db)
    }

    /// The block at `height`.
    pub fn block(&self, height: u64) -> Result<Option<Block>, BlockStoreError> {
        let r = self.db.begin_read().map_err(db)?;
        let t = r.open_table(BLOCKS).map_err(db)?;
        let Some(v) = t.get(height).map_err(db)? else {
            return Ok(None);
        };
        Protobuf::<tendermint_proto::types::Block>::decode_vec(v.value())
            .map(Some)
            .map_err(|e| BlockStoreError::Corrupt(format!("block {height}: {e}")))
    }

    /// The commit of `height`.
    pub fn commit(&self, height: u64) -> Result<Option<Commit>, BlockStoreError> {
        let r = self.db.begin_read().map_err(db)?;
        let t = r.open_table(COMMITS).map_err(db)?;
        let Some(v) = t.get(height).map_err(db)? else {
            return Ok(None);
        };
        <RawCommit as prost::Message>::decode(v.value())
            .map_err(|e| e.to_string())
            .and_then(|raw| Commit::try_from(raw).map_err(|e| e.to_string()))
            .map(Some)
            .map_err(|e| BlockStoreError::Corrupt(format!("commit {height}: {e}")))
    }

    /// The results of `height`.
    pub fn results(&self, height: u64) -> Result<Option<BlockResults>, BlockStoreError> {
        let r = self.db.begin_read().map_err(db)?;
        let t = r.open_table(RESULTS).map_err(db)?;
        let Some(v) = t.get(height).map_err(db)? else {
            return Ok(None);
        };
        serde_json::from_slice(v.value())
            .map(Some)
            .map_err(|e| BlockStoreError::Corrupt(format!("results {height}: {e}")))
    }

    /// Height of the block with `hash`.
    pub fn height_of_block(&self, hash: &[u8]) -> Result<Option<u64>, BlockStoreError> {
        let r = self.db.begin_read().map_err(db)?;
        let t = r.open_table(BLOCK_BY_HASH).map_err(db)?;
        Ok(t.get(hash).map_err(db)?.map(|v| v.value()))
    }

    /// `(height, index)` of the tx with `hash`.
    pub fn tx_location(&self, hash: &[u8]) -> Result<Option<(u64, u32)>, BlockStoreError> {
        let r = self.db.begin_read().map_err(db)?;
        let t = r.open_table(TX_BY_HASH).map_err(db)?;
        Ok(t.get(hash).map_err(db)?.map(|v| v.value()))
    }

    /// Locations of txs with an indexed event attribute `key = value`, in chain order.
    pub fn txs_with_event(
        &self,
        key: &str,
        value: &str,
    ) -> Result<Vec<(u64, u32)>, BlockStoreError> {
        if !self.event_index {
            return Err(BlockStoreError::EventIndexOff);
        }
        let r = self.db.begin_read().map_err(db)?;
        let t = r.open_table(EVENT_INDEX).map_err(db)?;
        let prefix = [key.as_bytes(), &[0], value.as_bytes(), &[0]].concat();
        let mut out = Vec::new();
        for item in t.range(prefix.as_slice()..).map_err(db)? {
            let (k, _) = item.map_err(db)?;
            let k = k.value();
            if !k.starts_with(&prefix) || k.len() != prefix.len() + 12 {
                if !k.starts_with(&prefix) {
                    break;
                }
                continue;
            }
            let tail = &k[prefix.len()..];
            let h = u64::from_be_bytes(tail[..8].try_into().map_err(db)?);
            let i = u32::from_be_bytes(tail[8..].try_into().map_err(db)?);
            out.push((h, i));
        }
        Ok(out)
    }

    /// Persists a mempool entry durably; returns its sequence number. Concurrent callers
    /// share one transaction and one fsync (group commit): the first caller to find no flush
    /// in progress writes everything queued so far, the others wait for it.
    pub fn mempool_put(&self, tx_bytes: &[u8]) -> Result<u64, BlockStoreError> {
        let mut st = self.group.state.lock().unwrap_or_else(|p| p.into_inner());
        let ticket = st.next_ticket;
        st.next_ticket += 1;
        st.queue.push((ticket, tx_bytes.to_vec()));
        loop {
            if let Some(r) = st.results.remove(&ticket) {
                return r.map_err(BlockStoreError::Db);
            }
            if st.flushing {
                st = self.group.done.wait(st).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            st.flushing = true;
            let batch = std::mem::take(&mut st.queue);
            drop(st);
            let outcome = self.mempool_write_batch(&batch);
            st = self.group.state.lock().unwrap_or_else(|p| p.into_inner());
            st.flushing = false;
            match outcome {
                Ok(seqs) => {
                    for ((t, _), seq) in batch.iter().zip(seqs) {
                        st.results.insert(*t, Ok(seq));
                    }
                }
                Err(e) => {
                    for (t, _) in &batch {
                        st.results.insert(*t, Err(e.to_string()));
                    }
                }
            }
            self.group.done.notify_all();
        }
    }

    /// Persists many mempool entries in one durable transaction, in order; returns their
    /// sequence numbers.
    pub fn mempool_put_all(&self, txs: &[Vec<u8>]) -> Result<Vec<u64>, BlockStoreError> {
        let batch: Vec<(u64, Vec<u8>)> = txs.iter().map(|t| (0, t.clone())).collect();
        self.mempool_write_batch(&batch)
    }

    fn mempool_write_batch(&self, batch: &[(u64, Vec<u8>)]) -> Result<Vec<u64>, BlockStoreError> {
        let mut tx = self.db.begin_write().map_err(db)?;
        tx.set_durability(Durability::Immediate).map_err(db)?;
        let mut seqs = Vec::with_capacity(batch.len());
        {
            let mut meta = tx.open_table(META).map_err(db)?;
            let mut seq = meta
                .get(MEMPOOL_SEQ_KEY)
                .map_err(db)?
                .map_or(0, |v| v.value());
            let mut mp = tx.open_table(MEMPOOL).map_err(db)?;
            for (_, bytes) in batch {
                seq += 1;
                mp.insert(seq, bytes.as_slice()).map_err(db)?;
                seqs.push(seq);
            }
            meta.insert(MEMPOOL_SEQ_KEY, seq).map_err(db)?;
        }
        tx.commit().map_err(db)?;
        Ok(seqs)
    }

    /// Deletes mempool entries (evicted or stale).
    pub fn mempool_remove(&self, seqs: &[u64]) -> Result<(), BlockStoreError> {
        if seqs.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.begin_write().map_err(db)?;
        tx.set_durability(Durability::Immediate).map_err(db)?;
        {
            let mut t = tx.open_table(MEMPOOL).map_err(db)?;
            for s in seqs {
                t.remove(*s).map_err(db)?;
            }
        }
        tx.commit().map_err(db)
    }

    /// All persisted mempool entries in arrival order.
    pub fn mempool_all(&self) -> Result<Vec<(u64, Vec<u8>)>, BlockStoreError> {
        let r = self.db.begin_read().map_err(db)?;
        let t = r.open_table(MEMPOOL).map_err(db)?;
        let mut out = Vec::new();
        for item in t.iter().map_err(db)? {
            let (k, v) = item.map_err(db)?;
            out.push((k.value(), v.value().to_vec()));
        }
        Ok(out)
    }
}

fn event_key(key: &str, value: &str, height: u64, index: u32) -> Vec<u8> {
    [
        key.as_bytes(),
        &[0],
        value.as_bytes(),
        &[0],
        &height.to_be_bytes(),
        &index.to_be_bytes(),
    ]
    .concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_mempool_puts_share_commits_and_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlockStore::open(&dir.path().join("b.redb")).unwrap();
        let seqs = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for t in 0..8u8 {
                let (store, seqs) = (&store, &seqs);
                s.spawn(move || {
                    for i in 0..50u8 {
                        let seq = store.mempool_put(&[t, i]).unwrap();
                        seqs.lock().unwrap().push((seq, vec![t, i]));
                    }
                });
            }
        });
        let mut got = seqs.into_inner().unwrap();
        got.sort();
        let all = store.mempool_all().unwrap();
        assert_eq!(all.len(), 400);
        assert_eq!(
            all, got,
            "every acknowledged write is stored under the seq it was given"
        );
        drop(store);
        let reopened = BlockStore::open(&dir.path().join("b.redb")).unwrap();
        assert_eq!(reopened.mempool_all().unwrap().len(), 400);
        assert_eq!(reopened.mempool_put(b"x").unwrap(), 401);
    }
}
