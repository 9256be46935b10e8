//! The executor's database (redb, under the home's data dir): withdrawals seen on the L2,
//! the output intervals closed over them, and the scan cursor. Each L2 block is recorded in
//! one write transaction with the cursor, so a kill -9 at any point resumes at a block
//! boundary and every withdrawal lands in exactly one interval.

use std::path::Path;

use minitia_core::{opinit::WithdrawalTree, Hash32};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

const META: TableDefinition<'static, &'static str, u64> = TableDefinition::new("meta");
const WITHDRAWALS: TableDefinition<'static, u64, &'static [u8]> =
    TableDefinition::new("withdrawals");
const OUTPUTS: TableDefinition<'static, u64, &'static [u8]> = TableDefinition::new("outputs");

/// A withdrawal initiated on the L2, as the leaf and the proof API need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalRecord {
    /// L2 sequence.
    pub sequence: u64,
    /// L2 sender (bech32), hashed into the leaf.
    pub from: String,
    /// L1 recipient.
    pub to: String,
    /// Amount.
    pub amount: u64,
    /// L2 denom.
    pub denom: String,
    /// L1 denom, hashed into the leaf.
    pub base_denom: String,
    /// L2 tx hash (hex, upper case as CometBFT prints it).
    pub tx_hash: String,
    /// L2 height.
    pub tx_height: u64,
    /// L2 block time (RFC 3339).
    pub tx_time: String,
    /// The output interval it belongs to, once closed.
    pub output_index: Option<u64>,
}

/// One closed output interval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputRecord {
    /// Output index on the L1 (intervals are numbered like the L1's outputs, from 1).
    pub index: u64,
    /// Last L2 height in the interval.
    pub l2_block_number: u64,
    /// Hash of that block.
    pub last_block_hash: Hash32,
    /// Withdrawal tree root.
    pub storage_root: Hash32,
    /// First withdrawal sequence in the interval.
    pub first_sequence: u64,
    /// One past the last withdrawal sequence.
    pub end_sequence: u64,
    /// L1 height the output landed at, once proposed.
    pub l1_height: Option<u64>,
}

impl OutputRecord {
    /// `sha3(version ‖ storage_root ‖ last_block_hash)`.
    pub fn output_root(&self) -> Hash32 {
        minitia_core::opinit::output_root(
            minitia_core::opinit::OUTPUT_VERSION,
            &self.storage_root,
            &self.last_block_hash,
        )
    }
}

/// Why the database failed.
#[derive(Debug, thiserror::Error)]
#[error("bridge database {path}: {message}; if it is corrupt, stop the executor, move it aside and restart (it rebuilds from the L2)")]
pub struct StoreError {
    path: String,
    message: String,
}

/// The executor database.
pub struct BridgeStore {
    db: Database,
    path: String,
}

impl std::fmt::Debug for BridgeStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BridgeStore")
            .field("path", &self.path)
            .finish()
    }
}

/// The scan state persisted with each block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursor {
    /// Last L2 height scanned (0 = none).
    pub l2_height: u64,
    /// Sequence of the first withdrawal of the open interval.
    pub open_first_sequence: u64,
    /// Next withdrawal sequence expected.
    pub next_sequence: u64,
    /// Block time (unix nanos) at or after which the open interval closes; 0 = not yet set.
    pub close_at_nanos: u64,
    /// Index the open interval will get.
    pub next_output_index: u64,
}

/// What one scanned L2 block changes.
#[derive(Debug, Default)]
pub struct BlockUpdate {
    /// Withdrawals found in the block.
    pub withdrawals: Vec<WithdrawalRecord>,
    /// The interval closed at this block, if any.
    pub closed: Option<OutputRecord>,
}

impl BridgeStore {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let p = path.display().to_string();
        let e = |m: String| StoreError {
            path: p.clone(),
            message: m,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|x| e(x.to_string()))?;
        }
        // A previous executor of this home may still be releasing the file (a restart right
        // after a crash); wait a little before calling it an error.
        let mut tries = 0;
        let db = loop {
            match Database::create(path) {
                Ok(db) => break db,
                Err(redb::DatabaseError::DatabaseAlreadyOpen) if tries < 50 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(x) => {
                    return Err(e(format!(
                        "{x} (is another executor running on this home?)"
                    )))
                }
            }
        };
        let s = Self { db, path: p };
        let tx = s.db.begin_write().map_err(|x| s.err(x))?;
        tx.open_table(META).map_err(|x| s.err(x))?;
        tx.open_table(WITHDRAWALS).map_err(|x| s.err(x))?;
        tx.open_table(OUTPUTS).map_err(|x| s.err(x))?;
        tx.commit().map_err(|x| s.err(x))?;
        Ok(s)
    }

    fn err(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    /// The scan state.
    pub fn cursor(&self) -> Result<Cursor, StoreError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let t = tx.open_table(META).map_err(|e| self.err(e))?;
        let g = |k: &str, d: u64| -> Result<u64, StoreError> {
            Ok(t.get(k).map_err(|e| self.err(e))?.map_or(d, |v| v.value()))
        };
        Ok(Cursor {
            l2_height: g("l2_height", 0)?,
            open_first_sequence: g("open_first_sequence", 1)?,
            next_sequence: g("next_sequence", 1)?,
            close_at_nanos: g("close_at_nanos", 0)?,
            next_output_index: g("next_output_index", 1)?,
        })
    }

    /// Records one scanned block and the new cursor in one transaction.
    pub fn apply_block(&self, cursor: &Cursor, update: &BlockUpdate) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut w = tx.open_table(WITHDRAWALS).map_err(|e| self.err(e))?;
            for r in &update.withdrawals {
                let b = serde_json::to_vec(r).map_err(|e| self.err(e))?;
                w.insert(r.sequence, b.as_slice())
                    .map_err(|e| self.err(e))?;
            }
            if let Some(o) = &update.closed {
                for s in o.first_sequence..o.end_sequence {
                    let rec = w
                        .get(s)
                        .map_err(|e| self.err(e))?
                        .map(|v| v.value().to_vec());
                    let Some(rec) = rec else {
                        return Err(self.err(format!("withdrawal {s} missing")));
                    };
                    let mut r: WithdrawalRecord =
                        serde_json::from_slice(&rec).map_err(|e| self.err(e))?;
                    r.output_index = Some(o.index);
                    let b = serde_json::to_vec(&r).map_err(|e| self.err(e))?;
                    w.insert(s, b.as_slice()).map_err(|e| self.err(e))?;
                }
                let mut t = tx.open_table(OUTPUTS).map_err(|e| self.err(e))?;
                let b = serde_json::to_vec(o).map_err(|e| self.err(e))?;
                t.insert(o.index, b.as_slice()).map_err(|e| self.err(e))?;
            }
            let mut m = tx.open_table(META).map_err(|e| self.err(e))?;
            for (k, v) in [
                ("l2_height", cursor.l2_height),
                ("open_first_sequence", cursor.open_first_sequence),
                ("next_sequence", cursor.next_sequence),
                ("close_at_nanos", cursor.close_at_nanos),
                ("next_output_index", cursor.next_output_index),
            ] {
                m.insert(k, v).map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// Marks output `index` as included on the L1 at `l1_height`.
    pub fn mark_proposed(&self, index: u64, l1_height: u64) -> Result<(), StoreError> {
        let Some(mut o) = self.output(index)? else {
            return Err(self.err(format!("output {index} missing")));
        };
        o.l1_height = Some(l1_height);
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut t = tx.open_table(OUTPUTS).map_err(|e| self.err(e))?;
            let b = serde_json::to_vec(&o).map_err(|e| self.err(e))?;
            t.insert(index, b.as_slice()).map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// Marks output `from` and every later one as not on the L1 (they were deleted there).
    /// Returns how many were marked.
    pub fn unmark_proposed_from(&self, from: u64) -> Result<u64, StoreError> {
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        let mut n = 0;
        {
            let mut t = tx.open_table(OUTPUTS).map_err(|e| self.err(e))?;
            let mut changed = Vec::new();
            for e in t.range(from..).map_err(|e| self.err(e))? {
                let (_, v) = e.map_err(|e| self.err(e))?;
                let mut o: OutputRecord =
                    serde_json::from_slice(v.value()).map_err(|e| self.err(e))?;
                if o.l1_height.take().is_some() {
                    changed.push(o);
                }
            }
            for o in changed {
                let b = serde_json::to_vec(&o).map_err(|e| self.err(e))?;
                t.insert(o.index, b.as_slice()).map_err(|e| self.err(e))?;
                n += 1;
            }
        }
        tx.commit().map_err(|e| self.err(e))?;
        Ok(n)
    }

    /// Forgets everything scanned above L2 height `l2_height` (the node was rolled back to
    /// it): withdrawals initiated above it, outputs closed above it, and the cursor, in one
    /// transaction. The open interval restarts after the last kept output, so blocks
    /// `l2_height+1..` are scanned again as the new chain produces them. Returns
    /// `(withdrawals, outputs)` forgotten.
    pub fn rewind_to(&self, l2_height: u64) -> Result<(u64, u64), StoreError> {
        let cur = self.cursor()?;
        if cur.l2_height <= l2_height {
            return Ok((0, 0));
        }
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        let (mut dropped_w, mut dropped_o) = (0, 0);
        {
            let mut o = tx.open_table(OUTPUTS).map_err(|e| self.err(e))?;
            let mut kept: Option<OutputRecord> = None;
            let mut drop_from = None;
            for row in o.iter().map_err(|e| self.err(e))? {
                let (k, v) = row.map_err(|e| self.err(e))?;
                let r: OutputRecord = serde_json::from_slice(v.value()).map_err(|e| self.err(e))?;
                if r.l2_block_number <= l2_height {
                    kept = Some(r);
                } else {
                    drop_from.get_or_insert(k.value());
                }
            }
            if let Some(from) = drop_from {
                let keys: Vec<u64> = o
                    .range(from..)
                    .map_err(|e| self.err(e))?
                    .map(|r| r.map(|(k, _)| k.value()))
                    .collect::<Result<_, _>>()
                    .map_err(|e| self.err(e))?;
                for k in keys {
                    o.remove(k).map_err(|e| self.err(e))?;
                    dropped_o += 1;
                }
            }
            let mut w = tx.open_table(WITHDRAWALS).map_err(|e| self.err(e))?;
            let mut next_sequence = kept.as_ref().map_or(1, |k| k.end_sequence);
            let mut gone = Vec::new();
            for row in w.range(next_sequence..).map_err(|e| self.err(e))? {
                let (k, v) = row.map_err(|e| self.err(e))?;
                let mut r: WithdrawalRecord =
                    serde_json::from_slice(v.value()).map_err(|e| self.err(e))?;
                if r.tx_height <= l2_height {
                    next_sequence = r.sequence + 1;
                    if r.output_index.take().is_some() {
                        gone.push((k.value(), Some(r)));
                    }
                } else {
                    gone.push((k.value(), None));
                }
            }
            for (k, r) in gone {
                match r {
                    // kept, but its interval was dropped: back in the open interval
                    Some(r) => {
                        let b = serde_json::to_vec(&r).map_err(|e| self.err(e))?;
                        w.insert(k, b.as_slice()).map_err(|e| self.err(e))?;
                    }
                    None => {
                        w.remove(k).map_err(|e| self.err(e))?;
                        dropped_w += 1;
                    }
                }
            }
            let mut m = tx.open_table(META).map_err(|e| self.err(e))?;
            for (k, v) in [
                ("l2_height", l2_height),
                (
                    "open_first_sequence",
                    kept.as_ref().map_or(1, |k| k.end_sequence),
                ),
                ("next_sequence", next_sequence),
                ("close_at_nanos", 0),
                (
                    "next_output_index",
                    kept.as_ref().map_or(1, |k| k.index + 1),
                ),
            ] {
                m.insert(k, v).map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))?;
        Ok((dropped_w, dropped_o))
    }

    /// Output interval `index`.
    pub fn output(&self, index: u64) -> Result<Option<OutputRecord>, StoreError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let t = tx.open_table(OUTPUTS).map_err(|e| self.err(e))?;
        let v = t.get(index).map_err(|e| self.err(e))?;
        v.map(|v| serde_json::from_slice(v.value()).map_err(|e| self.err(e)))
            .transpose()
    }

    /// All output intervals, in order.
    pub fn outputs(&self) -> Result<Vec<OutputRecord>, StoreError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let t = tx.open_table(OUTPUTS).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in t.iter().map_err(|e| self.err(e))? {
            let (_, v) = row.map_err(|e| self.err(e))?;
            out.push(serde_json::from_slice(v.value()).map_err(|e| self.err(e))?);
        }
        Ok(out)
    }

    /// Withdrawal `sequence`.
    pub fn withdrawal(&self, sequence: u64) -> Result<Option<WithdrawalRecord>, StoreError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let t = tx.open_table(WITHDRAWALS).map_err(|e| self.err(e))?;
        let v = t.get(sequence).map_err(|e| self.err(e))?;
        v.map(|v| serde_json::from_slice(v.value()).map_err(|e| self.err(e)))
            .transpose()
    }

    /// The withdrawal tree of output `o`.
    pub fn tree(&self, o: &OutputRecord, bridge_id: u64) -> Result<WithdrawalTree, StoreError> {
        let mut leaves = Vec::new();
        for s in o.first_sequence..o.end_sequence {
            let r = self
                .withdrawal(s)?
                .ok_or_else(|| self.err(format!("withdrawal {s} missing")))?;
            leaves.push(leaf(bridge_id, &r));
        }
        Ok(WithdrawalTree::new(leaves))
    }
}

/// The OPinit leaf of a withdrawal.
pub fn leaf(bridge_id: u64, r: &WithdrawalRecord) -> Hash32 {
    minitia_core::opinit::withdrawal_leaf(
        bridge_id,
        r.sequence,
        &r.from,
        &r.to,
        &r.base_denom,
        r.amount,
    )
}
