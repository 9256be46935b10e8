//! Persistence in redb: values with their full history, and per-version roots.
//!
//! Only values and roots are stored, never tree nodes: the tree is rebuilt in memory on open
//! (see `store.rs`), so a commit writes one row per written key plus one root, instead of the
//! O(log n) node rows per key that a persisted Merkle tree (JMT, IAVL) writes.
//!
//! Tables:
//! - `log` and `log2`: `(version, key) → row`, the writes of the versions after
//!   `indexed_through`. Ordered by version first, so a commit *appends* to the B-tree: it
//!   dirties only the few pages its own rows fill, whatever the keys. One of the two is the
//!   *active* log (`active_log` in `meta`) that commits append to; the other, when a merge is
//!   in progress, is the *frozen* log holding versions `indexed_through + 1 ..=
//!   frozen_through`.
//! - `values`: `(key, version) → row`, the key-ordered history of every version up to
//!   `indexed_through` (plus already-merged rows of the frozen log, which readers ignore
//!   until the merge completes). "The value of `key` at `v`" is the last row of
//!   `(key, 0)..=(key, v)`; redb compares tuple keys field by field (a plain
//!   `key ‖ version_be` byte key would interleave the rows of `a` and `a\0\0…`).
//! - `roots`: `version → root` (32 bytes); the latest version is its last row.
//! - `meta`: `indexed_through`, `frozen_through`, `active_log`, row counts of the merge;
//!   `merge_cursor`: the last key merged from the frozen log.
//!
//! `row` is `1 ‖ value` for a set and `0` for a delete.
//!
//! Why logs: inserting 10k random keys into a key-ordered B-tree of millions of rows
//! dirties (copy-on-write) a distinct page per key, and redb then writes and checksums every
//! one of them — measured at ~20 µs per key at 1M keys, 5× the whole budget. Moving the log
//! into `values` in key order dirties each page once per pass instead of once per key.
//!
//! The merge is incremental, so that no commit pays for a whole pass: once the active log
//! spans `index_interval` versions (and no merge is running) it is *frozen* (a metadata
//! change: the other log becomes active) and every following commit moves the next slice of
//! the frozen log, in key order, into `values` — about `1/index_interval` of it, so a pass
//! finishes before the next log fills. The slice is a key range `(cursor, end]`, read from
//! each frozen version's run (each run is sorted by key) and inserted sorted by
//! `(key, version)`, so it dirties only the `values` pages of that key range. Merged rows stay
//! in the frozen log too until the pass ends; then the frozen log is dropped wholesale (its
//! pages freed, no per-row deletes) and `indexed_through` advances to `frozen_through`.
//! Readers therefore see every version after `indexed_through` in exactly one log and every
//! version up to it in `values`, whatever the cursor.
//!
//! Every commit, including its merge slice, is one write transaction with
//! `Durability::Immediate`: after a crash the database holds the whole version or none of it.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;

use redb::{
    Database, Durability, ReadOnlyTable, ReadTransaction, ReadableDatabase, ReadableTable,
    TableDefinition,
};

use crate::error::StoreError;
use crate::tree::Digest32;

type LogDef = TableDefinition<'static, (u64, &'static [u8]), &'static [u8]>;
/// The two logs, indexed by `active_log`.
const LOGS: [LogDef; 2] = [TableDefinition::new("log"), TableDefinition::new("log2")];
const VALUES: TableDefinition<'static, (&'static [u8], u64), &'static [u8]> =
    TableDefinition::new("values");
const ROOTS: TableDefinition<'static, u64, &'static [u8]> = TableDefinition::new("roots");
const META: TableDefinition<'static, &'static str, u64> = TableDefinition::new("meta");
/// Rows each logged version wrote (sizes the share of a merge slice read from its run).
const LOG_ROWS: TableDefinition<'static, u64, u64> = TableDefinition::new("log_rows");
const CURSOR: TableDefinition<'static, &'static str, &'static [u8]> =
    TableDefinition::new("merge_cursor");
const INDEXED_THROUGH: &str = "indexed_through";
const FROZEN_THROUGH: &str = "frozen_through";
const ACTIVE_LOG: &str = "active_log";
/// Rows in the active log; becomes `FROZEN_ROWS` when it is frozen.
const ACTIVE_ROWS: &str = "active_rows";
/// Rows of the frozen log when it was frozen (sets the slice size).
const FROZEN_ROWS: &str = "frozen_rows";
const CURSOR_KEY: &str = "cursor";
/// Smallest merge slice, in rows: small stores finish a merge in one commit.
const MIN_SLICE: u64 = 4096;

const TAG_DELETED: u8 = 0;
const TAG_SET: u8 = 1;

/// The opened database.
pub(crate) struct Db {
    db: Database,
    /// Smallest merge slice in rows ([`MIN_SLICE`]; tests lower it to exercise the cursor).
    pub(crate) min_slice: u64,
}

type LogTable = ReadOnlyTable<(u64, &'static [u8]), &'static [u8]>;

/// A consistent read snapshot of the values (all tables, as of one transaction).
pub(crate) struct Snapshot {
    /// The frozen log (versions `indexed_through + 1 ..= frozen_through`) and the active log
    /// (later versions).
    frozen: LogTable,
    active: LogTable,
    values: ReadOnlyTable<(&'static [u8], u64), &'static [u8]>,
    indexed_through: u64,
    frozen_through: u64,
}

/// What a commit's merge slice did.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct MergeStats {
    /// Rows moved from the frozen log into `values`.
    pub(crate) rows: usize,
    /// Whether the commit completed a merge pass (and advanced `indexed_through`).
    pub(crate) finished: bool,
}

/// The merge state kept in `meta`.
#[derive(Debug, Clone, Copy)]
struct MergeMeta {
    indexed_through: u64,
    frozen_through: u64,
    active: usize,
}

fn read_merge_meta(meta: &impl ReadableTable<&'static str, u64>) -> Result<MergeMeta, StoreError> {
    let get = |k: &str| -> Result<Option<u64>, StoreError> {
        Ok(meta.get(k).map_err(StoreError::db)?.map(|g| g.value()))
    };
    let indexed_through = get(INDEXED_THROUGH)?.unwrap_or(0);
    // Databases written before the incremental merge have neither key: no merge running,
    // `log` active.
    let frozen_through = get(FROZEN_THROUGH)?.unwrap_or(indexed_through);
    let active = get(ACTIVE_LOG)?.unwrap_or(0);
    if frozen_through < indexed_through || active > 1 {
        return Err(StoreError::Corrupt(format!(
            "inconsistent merge state: indexed_through {indexed_through}, frozen_through \
             {frozen_through}, active_log {active}"
        )));
    }
    Ok(MergeMeta {
        indexed_through,
        frozen_through,
        active: active as usize,
    })
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("indexed_through", &self.indexed_through)
            .finish_non_exhaustive()
    }
}

/// Decodes a stored row: `None` for a tombstone.
fn decode(row: &[u8]) -> Result<Option<&[u8]>, StoreError> {
    match row.split_first() {
        Some((&TAG_SET, value)) => Ok(Some(value)),
        Some((&TAG_DELETED, [])) => Ok(None),
        _ => Err(StoreError::Corrupt(format!(
            "malformed value row (tag {:?})",
            row.first()
        ))),
    }
}

fn encode(value: Option<&[u8]>, out: &mut Vec<u8>) {
    out.clear();
    match value {
        Some(v) => {
            out.push(TAG_SET);
            out.extend_from_slice(v);
        }
        None => out.push(TAG_DELETED),
    }
}

fn parse_root(version: u64, bytes: &[u8]) -> Result<Digest32, StoreError> {
    bytes.try_into().map_err(|_| {
        StoreError::Corrupt(format!(
            "root of version {version} has {} bytes, expected 32",
            bytes.len()
        ))
    })
}

impl Db {
    /// Opens or creates the database file, with `cache_bytes` of page cache.
    pub(crate) fn open(path: &Path, cache_bytes: usize) -> Result<Self, StoreError> {
        let db = Database::builder()
            .set_cache_size(cache_bytes)
            .create(path)
            .map_err(StoreError::db)?;
        // Create the tables up front so read transactions never see them missing.
        let tx = db.begin_write().map_err(StoreError::db)?;
        for log in LOGS {
            tx.open_table(log).map_err(StoreError::db)?;
        }
        tx.open_table(CURSOR).map_err(StoreError::db)?;
        tx.open_table(LOG_ROWS).map_err(StoreError::db)?;
        tx.open_table(VALUES).map_err(StoreError::db)?;
        tx.open_table(ROOTS).map_err(StoreError::db)?;
        tx.open_table(META).map_err(StoreError::db)?;
        tx.commit().map_err(StoreError::db)?;
        Ok(Self {
            db,
            min_slice: MIN_SLICE,
        })
    }

    fn read(&self) -> Result<ReadTransaction, StoreError> {
        self.db.begin_read().map_err(StoreError::db)
    }

    /// The latest committed version and its root, or `None` before the first commit.
    pub(crate) fn latest(&self) -> Result<Option<(u64, Digest32)>, StoreError> {
        let table = self.read()?.open_table(ROOTS).map_err(StoreError::db)?;
        let last = table.last().map_err(StoreError::db)?;
        last.map(|(v, r)| Ok((v.value(), parse_root(v.value(), r.value())?)))
            .transpose()
    }

    /// The root committed at `version`, if that version was committed.
    pub(crate) fn root_at(&self, version: u64) -> Result<Option<Digest32>, StoreError> {
        let table = self.read()?.open_table(ROOTS).map_err(StoreError::db)?;
        let row = table.get(version).map_err(StoreError::db)?;
        row.map(|r| parse_root(version, r.value())).transpose()
    }

    /// Writes one version atomically and durably: its writes (in key order) go to the active
    /// log, with its root; in the same transaction the log may be frozen (once it spans
    /// `index_interval` versions) and the next slice of a frozen log moved into `values`.
    pub(crate) fn write_version<'a>(
        &self,
        version: u64,
        writes: impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)>,
        root: &Digest32,
        index_interval: u64,
    ) -> Result<MergeStats, StoreError> {
        let mut tx = self.db.begin_write().map_err(StoreError::db)?;
        tx.set_durability(Durability::Immediate)
            .map_err(|e| StoreError::Corrupt(format!("cannot make commit durable: {e}")))?;
        let stats;
        {
            let mut meta = tx.open_table(META).map_err(StoreError::db)?;
            let mut m = read_merge_meta(&meta)?;
            let count = |meta: &redb::Table<&'static str, u64>, k: &str| {
                meta.get(k)
                    .map_err(StoreError::db)
                    .map(|g| g.map_or(0, |g| g.value()))
            };
            let mut active_rows = count(&meta, ACTIVE_ROWS)?;
            {
                let mut row = Vec::new();
                let mut n = 0;
                let mut log = tx.open_table(LOGS[m.active]).map_err(StoreError::db)?;
                for (key, value) in writes {
                    encode(value, &mut row);
                    log.insert((version, key), row.as_slice())
                        .map_err(StoreError::db)?;
                    n += 1;
                }
                active_rows += n;
                tx.open_table(LOG_ROWS)
                    .map_err(StoreError::db)?
                    .insert(version, n)
                    .map_err(StoreError::db)?;
            }
            let merging = m.frozen_through > m.indexed_through;
            if !merging && version - m.indexed_through >= index_interval {
                // Freeze the active log; the other (empty) one takes the next commits.
                m.frozen_through = version;
                m.active = 1 - m.active;
                meta.insert(FROZEN_THROUGH, m.frozen_through)
                    .map_err(StoreError::db)?;
                meta.insert(ACTIVE_LOG, m.active as u64)
                    .map_err(StoreError::db)?;
                meta.insert(FROZEN_ROWS, active_rows)
                    .map_err(StoreError::db)?;
                active_rows = 0;
                tx.open_table(CURSOR)
                    .map_err(StoreError::db)?
                    .remove(CURSOR_KEY)
                    .map_err(StoreError::db)?;
            }
            meta.insert(ACTIVE_ROWS, active_rows)
                .map_err(StoreError::db)?;
            stats = if m.frozen_through > m.indexed_through {
                let frozen_rows = count(&meta, FROZEN_ROWS)?;
                let budget = frozen_rows.div_ceil(index_interval).max(self.min_slice);
                let stats = merge_slice(&tx, m, budget)?;
                if stats.finished {
                    meta.insert(INDEXED_THROUGH, m.frozen_through)
                        .map_err(StoreError::db)?;
                }
                stats
            } else {
                MergeStats::default()
            };
            let mut roots = tx.open_table(ROOTS).map_err(StoreError::db)?;
            roots
                .insert(version, root.as_slice())
                .map_err(StoreError::db)?;
        }
        tx.commit().map_err(StoreError::db)?;
        Ok(stats)
    }

    /// A read snapshot of the values.
    pub(crate) fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let tx = self.read()?;
        let meta = tx.open_table(META).map_err(StoreError::db)?;
        let m = read_merge_meta(&meta)?;
        Ok(Snapshot {
            frozen: tx.open_table(LOGS[1 - m.active]).map_err(StoreError::db)?,
            active: tx.open_table(LOGS[m.active]).map_err(StoreError::db)?,
            values: tx.open_table(VALUES).map_err(StoreError::db)?,
            indexed_through: m.indexed_through,
            frozen_through: m.frozen_through,
        })
    }
}

/// Moves the next key range of the frozen log into `values`, about `budget` rows; when the
/// frozen log is exhausted, drops it (recreated empty) and reports the pass finished. The
/// caller then advances `indexed_through`.
///
/// The range is `(cursor, end]`, where `end` is the key `budget × share` rows past the cursor
/// in the largest frozen run (`share` = its part of the frozen rows), so that for keys whose
/// distribution does not change from version to version every run contributes its share and
/// the slice holds about `budget` rows. Once that run has no more rows left the slice takes
/// the rest of every run and the pass ends.
fn merge_slice(
    tx: &redb::WriteTransaction,
    m: MergeMeta,
    budget: u64,
) -> Result<MergeStats, StoreError> {
    let frozen_def = LOGS[1 - m.active];
    let mut cursor_table = tx.open_table(CURSOR).map_err(StoreError::db)?;
    let cursor: Option<Vec<u8>> = cursor_table
        .get(CURSOR_KEY)
        .map_err(StoreError::db)?
        .map(|g| g.value().to_vec());
    let first = m.indexed_through + 1;
    let versions = m.frozen_through - m.indexed_through;
    let mut log_rows = tx.open_table(LOG_ROWS).map_err(StoreError::db)?;
    // The pilot run: the largest (the first when sizes are unknown).
    let (mut pilot, mut pilot_rows, mut total) = (first, 0u64, 0u64);
    for v in first..=m.frozen_through {
        let n = log_rows
            .get(v)
            .map_err(StoreError::db)?
            .map_or(0, |g| g.value());
        total += n;
        if n > pilot_rows {
            (pilot, pilot_rows) = (v, n);
        }
    }
    let quota = match total {
        0 => budget.div_ceil(versions),
        _ => (budget * pilot_rows).div_ceil(total),
    }
    .max(1);
    let empty: &[u8] = &[];
    let lower = |v: u64| match &cursor {
        Some(c) => Bound::Excluded((v, c.as_slice())),
        None => Bound::Included((v, empty)),
    };
    // Rows as (start in `buf`, key length, row length, version): one buffer, not two
    // allocations per row.
    let mut buf: Vec<u8> = Vec::new();
    let mut rows: Vec<(usize, usize, usize, u64)> = Vec::new();
    let end: Option<Vec<u8>>;
    {
        let frozen = tx.open_table(frozen_def).map_err(StoreError::db)?;
        let mut pilot_range = frozen
            .range::<(u64, &[u8])>((lower(pilot), Bound::Excluded((pilot + 1, empty))))
            .map_err(StoreError::db)?;
        end = match pilot_range.nth(quota as usize - 1) {
            Some(row) => Some(row.map_err(StoreError::db)?.0.value().1.to_vec()),
            None => None,
        };
        drop(pilot_range);
        for v in first..=m.frozen_through {
            let upper = match &end {
                Some(e) => Bound::Included((v, e.as_slice())),
                None => Bound::Excluded((v + 1, empty)),
            };
            let range = frozen
                .range::<(u64, &[u8])>((lower(v), upper))
                .map_err(StoreError::db)?;
            for row in range {
                let (k, val) = row.map_err(StoreError::db)?;
                let (ver, key) = k.value();
                let val = val.value();
                rows.push((buf.len(), key.len(), val.len(), ver));
                buf.extend_from_slice(key);
                buf.extend_from_slice(val);
            }
        }
    }
    let key = |r: &(usize, usize, usize, u64)| &buf[r.0..r.0 + r.1];
    // (key, version) pairs are unique, so an unstable sort is deterministic.
    rows.sort_unstable_by(|a, b| key(a).cmp(key(b)).then(a.3.cmp(&b.3)));
    {
        let mut values = tx.open_table(VALUES).map_err(StoreError::db)?;
        for r in &rows {
            let row = &buf[r.0 + r.1..r.0 + r.1 + r.2];
            values.insert((key(r), r.3), row).map_err(StoreError::db)?;
        }
    }
    let finished = end.is_none();
    if let Some(e) = end {
        cursor_table
            .insert(CURSOR_KEY, e.as_slice())
            .map_err(StoreError::db)?;
    } else {
        cursor_table.remove(CURSOR_KEY).map_err(StoreError::db)?;
        for v in first..=m.frozen_through {
            log_rows.remove(v).map_err(StoreError::db)?;
        }
        // Dropping the table frees its pages wholesale instead of row by row.
        tx.delete_table(frozen_def).map_err(StoreError::db)?;
        tx.open_table(frozen_def).map_err(StoreError::db)?;
    }
    Ok(MergeStats {
        rows: rows.len(),
        finished,
    })
}

/// One write of a logged version: key and value (`None` = delete).
pub(crate) type LogRow = (Vec<u8>, Option<Vec<u8>>);

/// Log rows that overlay the indexed history in a prefix scan, in key order.
type Overlay =
    std::iter::Peekable<std::collections::btree_map::IntoIter<Vec<u8>, (u64, Option<Vec<u8>>)>>;

/// Emits the overlay rows ordered before `upto` (all if `None`), skipping deletes; returns
/// `false` once `f` asks to stop.
fn drain(
    upto: Option<&[u8]>,
    pending: &mut Overlay,
    f: &mut impl FnMut(&[u8], u64, &[u8]) -> bool,
) -> bool {
    while let Some((k, _)) = pending.peek() {
        if upto.is_some_and(|u| k.as_slice() >= u) {
            break;
        }
        if let Some((k, (ver, Some(v)))) = pending.next() {
            if !f(&k, ver, &v) {
                return false;
            }
        }
    }
    true
}

impl Snapshot {
    /// The last version whose rows are in `values` (older rows are never in a log).
    pub(crate) fn indexed_through(&self) -> u64 {
        self.indexed_through
    }

    /// The log holding the rows of `version` (which must be past `indexed_through`).
    fn log_for(&self, version: u64) -> &LogTable {
        if version <= self.frozen_through {
            &self.frozen
        } else {
            &self.active
        }
    }

    /// The row `key` got at exactly `version`: `Ok(None)` if it has none, `Ok(Some(None))` for
    /// a delete.
    pub(crate) fn row_at(
        &self,
        key: &[u8],
        version: u64,
    ) -> Result<Option<Option<Vec<u8>>>, StoreError> {
        let row = if version > self.indexed_through {
            self.log_for(version)
                .get((version, key))
                .map_err(StoreError::db)?
        } else {
            self.values.get((key, version)).map_err(StoreError::db)?
        };
        row.map(|r| Ok(decode(r.value())?.map(<[u8]>::to_vec)))
            .transpose()
    }

    /// The value of `key` at `version` from history alone (no tree): the newest row at or
    /// below `version`. Versions past `indexed_through` are probed in the log newest first,
    /// one point lookup each; the store only uses this for versions it has no tree for.
    pub(crate) fn get(&self, key: &[u8], version: u64) -> Result<Option<Vec<u8>>, StoreError> {
        for v in (self.indexed_through + 1..=version).rev() {
            if let Some(row) = self.row_at(key, v)? {
                return Ok(row);
            }
        }
        let upto = version.min(self.indexed_through);
        let mut rows = self
            .values
            .range((key, 0u64)..=(key, upto))
            .map_err(StoreError::db)?;
        match rows.next_back() {
            None => Ok(None),
            Some(row) => {
                let (_, value) = row.map_err(StoreError::db)?;
                Ok(decode(value.value())?.map(<[u8]>::to_vec))
            }
        }
    }

    /// The writes of `version` (which must be past `indexed_through`), in key order.
    pub(crate) fn log_of(&self, version: u64) -> Result<Vec<LogRow>, StoreError> {
        let empty: &[u8] = &[];
        let rows = self
            .log_for(version)
            .range((version, empty)..)
            .map_err(StoreError::db)?;
        let mut out = Vec::new();
        for row in rows {
            let (k, v) = row.map_err(StoreError::db)?;
            let (ver, key) = k.value();
            if ver != version {
                break;
            }
            out.push((key.to_vec(), decode(v.value())?.map(<[u8]>::to_vec)));
        }
        Ok(out)
    }

    /// Calls `f(key, written_at, value)` for every key live at `version` that starts with
    /// `prefix`, in key order, until `f` returns `false`.
    pub(crate) fn scan_prefix(
        &self,
        prefix: &[u8],
        version: u64,
        mut f: impl FnMut(&[u8], u64, &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        // Later writes from the log tail overlay the indexed history.
        let mut overlay: BTreeMap<Vec<u8>, (u64, Option<Vec<u8>>)> = BTreeMap::new();
        for v in self.indexed_through + 1..=version {
            let rows = self
                .log_for(v)
                .range((v, prefix)..)
                .map_err(StoreError::db)?;
            for row in rows {
                let (k, val) = row.map_err(StoreError::db)?;
                let (ver, key) = k.value();
                if ver != v || !key.starts_with(prefix) {
                    break;
                }
                let value = decode(val.value())?.map(<[u8]>::to_vec);
                overlay.insert(key.to_vec(), (ver, value));
            }
        }
        let mut pending = overlay.into_iter().peekable();
        let mut go = true;
        self.scan_values(
            prefix,
            version.min(self.indexed_through),
            |key, ver, value| {
                go = drain(Some(key), &mut pending, &mut f);
                if !go {
                    return false;
                }
                if pending.peek().is_some_and(|(k, _)| k.as_slice() == key) {
                    return true; // overridden by the log; the next drain emits (or skips) it
                }
                go = f(key, ver, value);
                go
            },
        )?;
        if go {
            drain(None, &mut pending, &mut f);
        }
        Ok(())
    }

    /// `scan_prefix` over the `values` table alone.
    fn scan_values(
        &self,
        prefix: &[u8],
        version: u64,
        mut f: impl FnMut(&[u8], u64, &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        let rows = self
            .values
            .range((prefix, 0u64)..)
            .map_err(StoreError::db)?;
        // Rows come grouped by key, oldest version first; remember the newest row at or below
        // `version` of the current key and emit it when the key changes.
        let mut current: Option<(Vec<u8>, u64, Option<Vec<u8>>)> = None;
        for row in rows {
            let (k, v) = row.map_err(StoreError::db)?;
            let (key, row_version) = k.value();
            if !key.starts_with(prefix) {
                break;
            }
            if current.as_ref().is_none_or(|(c, _, _)| c.as_slice() != key) {
                if let Some((ck, cver, Some(cv))) = current.take() {
                    if !f(&ck, cver, &cv) {
                        return Ok(());
                    }
                }
                current = Some((key.to_vec(), 0, None));
            }
            if row_version <= version {
                if let Some((_, ver, slot)) = current.as_mut() {
                    *ver = row_version;
                    *slot = decode(v.value())?.map(<[u8]>::to_vec);
                }
            }
        }
        if let Some((ck, cver, Some(cv))) = current {
            f(&ck, cver, &cv);
        }
        Ok(())
    }
}
