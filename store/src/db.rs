//! Persistence in redb: values with their full history, and per-version roots.
//!
//! Only values and roots are stored, never tree nodes: the tree is rebuilt in memory on open
//! (see `store.rs`), so a commit writes one row per written key plus one root, instead of the
//! O(log n) node rows per key that a persisted Merkle tree (JMT, IAVL) writes.
//!
//! Tables:
//! - `log`: `(version, key) → row`, the writes of the versions after `indexed_through`.
//!   Ordered by version first, so a commit *appends* to the B-tree: it dirties only the few
//!   pages its own rows fill, whatever the keys.
//! - `values`: `(key, version) → row`, the key-ordered history of every version up to
//!   `indexed_through`. "The value of `key` at `v`" is the last row of `(key, 0)..=(key, v)`;
//!   redb compares tuple keys field by field (a plain `key ‖ version_be` byte key would
//!   interleave the rows of `a` and `a\0\0…`).
//! - `roots`: `version → root` (32 bytes); the latest version is its last row.
//! - `meta`: `indexed_through`.
//!
//! `row` is `1 ‖ value` for a set and `0` for a delete.
//!
//! Why two tables: inserting 10k random keys into a key-ordered B-tree of millions of rows
//! dirties (copy-on-write) a distinct page per key, and redb then writes and checksums every
//! one of them — measured at ~20 µs per key at 1M keys, 5× the whole budget. Moving the log
//! into `values` every `index_interval` versions dirties each page once per pass instead of
//! once per key, at the price of one larger commit every `index_interval` versions.
//!
//! Every commit, including one that also moves the log, is one write transaction with
//! `Durability::Immediate`: after a crash the database holds the whole version or none of it.

use std::collections::BTreeMap;
use std::path::Path;

use redb::{
    Database, Durability, ReadOnlyTable, ReadTransaction, ReadableDatabase, ReadableTable,
    TableDefinition,
};

use crate::error::StoreError;
use crate::tree::Digest32;

const LOG: TableDefinition<'static, (u64, &'static [u8]), &'static [u8]> =
    TableDefinition::new("log");
const VALUES: TableDefinition<'static, (&'static [u8], u64), &'static [u8]> =
    TableDefinition::new("values");
const ROOTS: TableDefinition<'static, u64, &'static [u8]> = TableDefinition::new("roots");
const META: TableDefinition<'static, &'static str, u64> = TableDefinition::new("meta");
const INDEXED_THROUGH: &str = "indexed_through";

const TAG_DELETED: u8 = 0;
const TAG_SET: u8 = 1;

/// The opened database.
pub(crate) struct Db {
    db: Database,
}

/// A consistent read snapshot of the values (both tables, as of one transaction).
pub(crate) struct Snapshot {
    log: ReadOnlyTable<(u64, &'static [u8]), &'static [u8]>,
    values: ReadOnlyTable<(&'static [u8], u64), &'static [u8]>,
    indexed_through: u64,
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
        tx.open_table(LOG).map_err(StoreError::db)?;
        tx.open_table(VALUES).map_err(StoreError::db)?;
        tx.open_table(ROOTS).map_err(StoreError::db)?;
        tx.open_table(META).map_err(StoreError::db)?;
        tx.commit().map_err(StoreError::db)?;
        Ok(Self { db })
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

    /// Writes one version atomically and durably: its writes (in key order) go to the log,
    /// then, when `index` is set, the whole log moves into `values` in the same transaction.
    pub(crate) fn write_version<'a>(
        &self,
        version: u64,
        writes: impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)>,
        root: &Digest32,
        index: bool,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().map_err(StoreError::db)?;
        tx.set_durability(Durability::Immediate)
            .map_err(|e| StoreError::Corrupt(format!("cannot make commit durable: {e}")))?;
        {
            let mut row = Vec::new();
            let mut log = tx.open_table(LOG).map_err(StoreError::db)?;
            for (key, value) in writes {
                encode(value, &mut row);
                log.insert((version, key), row.as_slice())
                    .map_err(StoreError::db)?;
            }
            if index {
                // Sort by (key, version) so the inserts walk `values` once, left to right.
                let mut rows: Vec<(Vec<u8>, u64, Vec<u8>)> = Vec::new();
                for entry in log.iter().map_err(StoreError::db)? {
                    let (k, v) = entry.map_err(StoreError::db)?;
                    let (ver, key) = k.value();
                    rows.push((key.to_vec(), ver, v.value().to_vec()));
                }
                // (key, version) pairs are unique, so an unstable sort is deterministic.
                rows.sort_unstable_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
                let mut values = tx.open_table(VALUES).map_err(StoreError::db)?;
                for (key, ver, row) in &rows {
                    values
                        .insert((key.as_slice(), *ver), row.as_slice())
                        .map_err(StoreError::db)?;
                }
                // Dropping the table frees its pages wholesale instead of row by row.
                drop(log);
                tx.delete_table(LOG).map_err(StoreError::db)?;
                tx.open_table(LOG).map_err(StoreError::db)?;
                let mut meta = tx.open_table(META).map_err(StoreError::db)?;
                meta.insert(INDEXED_THROUGH, version)
                    .map_err(StoreError::db)?;
            }
            let mut roots = tx.open_table(ROOTS).map_err(StoreError::db)?;
            roots
                .insert(version, root.as_slice())
                .map_err(StoreError::db)?;
        }
        tx.commit().map_err(StoreError::db)
    }

    /// A read snapshot of the values.
    pub(crate) fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let tx = self.read()?;
        let meta = tx.open_table(META).map_err(StoreError::db)?;
        let indexed_through = meta
            .get(INDEXED_THROUGH)
            .map_err(StoreError::db)?
            .map_or(0, |g| g.value());
        Ok(Snapshot {
            log: tx.open_table(LOG).map_err(StoreError::db)?,
            values: tx.open_table(VALUES).map_err(StoreError::db)?,
            indexed_through,
        })
    }
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
    /// The last version whose rows are in `values` (older rows are never in the log).
    pub(crate) fn indexed_through(&self) -> u64 {
        self.indexed_through
    }

    /// The row `key` got at exactly `version`: `Ok(None)` if it has none, `Ok(Some(None))` for
    /// a delete.
    pub(crate) fn row_at(
        &self,
        key: &[u8],
        version: u64,
    ) -> Result<Option<Option<Vec<u8>>>, StoreError> {
        let row = if version > self.indexed_through {
            self.log.get((version, key)).map_err(StoreError::db)?
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
        let rows = self.log.range((version, empty)..).map_err(StoreError::db)?;
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
            let rows = self.log.range((v, prefix)..).map_err(StoreError::db)?;
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
