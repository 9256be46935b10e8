//! Persistence in redb: values with their full history, and per-version roots.
//!
//! Only values and roots are stored, never tree nodes: the tree is rebuilt in memory on open
//! (see `store.rs`), which keeps each commit's write volume to one row per written key plus
//! one root, instead of the O(log n) node rows per key a persisted Merkle tree (JMT, IAVL)
//! writes.
//!
//! Tables:
//! - `values`: `(key, version) → tag ‖ value`, tag `1` = set, `0` = deleted. redb compares
//!   tuple keys field by field, so all versions of one key are contiguous and ordered by
//!   version, and "the value of `key` at `v`" is the last row of `(key, 0)..=(key, v)`. (A
//!   plain `key ‖ version_be` byte key would not work: for variable-length keys the rows of
//!   `a` and of `a\0\0…` would interleave.)
//! - `roots`: `version → root` (32 bytes). The latest version is its last row; version 0
//!   (nothing committed) has no row.
//!
//! Each commit is one write transaction with `Durability::Immediate`: after a crash the
//! database holds either the whole version (values and root) or none of it.

use std::path::Path;

use redb::{
    Database, Durability, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition,
};

use crate::error::StoreError;
use crate::tree::Digest32;

pub(crate) type ValuesTable = TableDefinition<'static, (&'static [u8], u64), &'static [u8]>;
const VALUES: ValuesTable = TableDefinition::new("values");
const ROOTS: TableDefinition<'static, u64, &'static [u8]> = TableDefinition::new("roots");

const TAG_DELETED: u8 = 0;
const TAG_SET: u8 = 1;

/// The opened database.
pub(crate) struct Db {
    db: Database,
}

/// A read snapshot of the `values` table; cheap to query many times.
pub(crate) struct ValuesReader {
    table: redb::ReadOnlyTable<(&'static [u8], u64), &'static [u8]>,
}

impl std::fmt::Debug for ValuesReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ValuesReader")
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

impl Db {
    /// Opens or creates the database file, with `cache_bytes` of page cache.
    pub(crate) fn open(path: &Path, cache_bytes: usize) -> Result<Self, StoreError> {
        let db = Database::builder()
            .set_cache_size(cache_bytes)
            .create(path)
            .map_err(StoreError::db)?;
        // Create both tables up front so read transactions never see them missing.
        let tx = db.begin_write().map_err(StoreError::db)?;
        tx.open_table(VALUES).map_err(StoreError::db)?;
        tx.open_table(ROOTS).map_err(StoreError::db)?;
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

    /// Writes one version atomically and durably: every `(key, value-or-delete)` in key
    /// order, then the root.
    pub(crate) fn write_version<'a>(
        &self,
        version: u64,
        writes: impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)>,
        root: &Digest32,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().map_err(StoreError::db)?;
        tx.set_durability(Durability::Immediate)
            .map_err(|e| StoreError::Corrupt(format!("cannot make commit durable: {e}")))?;
        {
            let mut values = tx.open_table(VALUES).map_err(StoreError::db)?;
            let mut row = Vec::new();
            for (key, value) in writes {
                row.clear();
                match value {
                    Some(v) => {
                        row.push(TAG_SET);
                        row.extend_from_slice(v);
                    }
                    None => row.push(TAG_DELETED),
                }
                values
                    .insert((key, version), row.as_slice())
                    .map_err(StoreError::db)?;
            }
            let mut roots = tx.open_table(ROOTS).map_err(StoreError::db)?;
            roots
                .insert(version, root.as_slice())
                .map_err(StoreError::db)?;
        }
        tx.commit().map_err(StoreError::db)
    }

    /// A snapshot reader of values (any version committed before this call).
    pub(crate) fn values(&self) -> Result<ValuesReader, StoreError> {
        let table = self.read()?.open_table(VALUES).map_err(StoreError::db)?;
        Ok(ValuesReader { table })
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

impl ValuesReader {
    /// The value of `key` at `version` (the newest row at or below it).
    pub(crate) fn get(&self, key: &[u8], version: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let mut rows = self
            .table
            .range((key, 0u64)..=(key, version))
            .map_err(StoreError::db)?;
        match rows.next_back() {
            None => Ok(None),
            Some(row) => {
                let (_, value) = row.map_err(StoreError::db)?;
                Ok(decode(value.value())?.map(<[u8]>::to_vec))
            }
        }
    }

    /// Calls `f(key, value)` for every key live at `version` whose key starts with `prefix`,
    /// in key order, until `f` returns `false`.
    pub(crate) fn scan_prefix(
        &self,
        prefix: &[u8],
        version: u64,
        mut f: impl FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        let rows = self.table.range((prefix, 0u64)..).map_err(StoreError::db)?;
        // Rows come grouped by key, oldest version first; remember the newest row at or below
        // `version` of the current key and emit it when the key changes.
        let mut current: Option<(Vec<u8>, Option<Vec<u8>>)> = None;
        for row in rows {
            let (k, v) = row.map_err(StoreError::db)?;
            let (key, row_version) = k.value();
            if !key.starts_with(prefix) {
                break;
            }
            if current.as_ref().is_none_or(|(c, _)| c.as_slice() != key) {
                if let Some((ck, Some(cv))) = current.take() {
                    if !f(&ck, &cv) {
                        return Ok(());
                    }
                }
                current = Some((key.to_vec(), None));
            }
            if row_version <= version {
                if let Some((_, slot)) = current.as_mut() {
                    *slot = decode(v.value())?.map(<[u8]>::to_vec);
                }
            }
        }
        if let Some((ck, Some(cv))) = current {
            f(&ck, &cv);
        }
        Ok(())
    }
}
