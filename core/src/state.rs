//! State access seams: read views, write sets, overlays and the committed store.

use std::collections::BTreeMap;

use crate::hash::Hash32;

/// Why a state access failed. Engines treat every variant as fatal for the block: a read
/// that fails must never be mistaken for "key absent".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// The version was pruned or never existed.
    #[error("state version {requested} is not available (retained: {oldest}..={latest})")]
    VersionUnavailable {
        /// Version asked for.
        requested: u64,
        /// Oldest retained version.
        oldest: u64,
        /// Latest committed version.
        latest: u64,
    },
    /// A witness-backed view was asked for a key its witness does not cover.
    #[error("key 0x{0} is not covered by the witness")]
    MissingWitness(String),
    /// The backing storage failed (disk, corruption). Retrying may help for IO errors only.
    #[error("storage backend error: {0}")]
    Backend(String),
    /// Stored data disagrees with itself (e.g. recomputed root differs from the stored one).
    #[error("stored state is inconsistent: {0}; restore the data dir from a snapshot or resync")]
    Corrupt(String),
    /// A commit was attempted at a version that does not follow the latest one.
    #[error("commit out of order: latest version is {latest}, got {got}")]
    OutOfOrder {
        /// Latest committed version.
        latest: u64,
        /// Version given.
        got: u64,
    },
}

/// Read-only access to state at one root. Every engine reads state only through this trait,
/// so the same engine code runs against the live store and against a fraud-proof witness.
pub trait StateView {
    /// The value under `key`, or `None` when absent.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError>;
}

impl<T: StateView + ?Sized> StateView for &T {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        (**self).get(key)
    }
}

impl<T: StateView + ?Sized> StateView for Box<T> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        (**self).get(key)
    }
}

impl<T: StateView + ?Sized> StateView for std::sync::Arc<T> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        (**self).get(key)
    }
}

/// Key/value pairs in key order.
pub type KvPairs = Vec<(Vec<u8>, Vec<u8>)>;

/// Ordered iteration over a key prefix. Only queries use it, never block execution: a
/// witness cannot prove "these are all the keys" cheaply, so engines must not depend on it.
pub trait StateIter {
    /// All `(key, value)` pairs whose key starts with `prefix`, in key order, at most `limit`.
    fn iter_prefix(&self, prefix: &[u8], limit: usize) -> Result<KvPairs, StateError>;
}

/// The writes of a block or tx: key → `Some(value)` to set, `None` to delete. Ordered, so
/// that applying and hashing it is deterministic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteSet(pub BTreeMap<Vec<u8>, Option<Vec<u8>>>);

impl WriteSet {
    /// An empty write set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a set.
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.0.insert(key, Some(value));
    }

    /// Records a delete.
    pub fn delete(&mut self, key: Vec<u8>) {
        self.0.insert(key, None);
    }

    /// Applies `other` on top of `self` (later writes win).
    pub fn extend(&mut self, other: WriteSet) {
        self.0.extend(other.0);
    }

    /// Number of keys written.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when nothing is written.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterates the writes in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&Vec<u8>, &Option<Vec<u8>>)> {
        self.0.iter()
    }
}

/// A write buffer over a base view: reads see buffered writes first. Nest one per tx over one
/// per block, and merge the tx's writes only when the tx succeeds.
pub struct Overlay<'a> {
    base: &'a dyn StateView,
    writes: WriteSet,
}

impl<'a> Overlay<'a> {
    /// A fresh overlay with no writes.
    pub fn new(base: &'a dyn StateView) -> Self {
        Self {
            base,
            writes: WriteSet::new(),
        }
    }

    /// Buffers a set.
    pub fn set(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.writes.put(key.into(), value.into());
    }

    /// Buffers a delete.
    pub fn delete(&mut self, key: impl Into<Vec<u8>>) {
        self.writes.delete(key.into());
    }

    /// Applies writes produced elsewhere (e.g. a successful nested overlay).
    pub fn apply(&mut self, writes: WriteSet) {
        self.writes.extend(writes);
    }

    /// The buffered writes.
    pub fn writes(&self) -> &WriteSet {
        &self.writes
    }

    /// Consumes the overlay, returning its writes.
    pub fn into_writes(self) -> WriteSet {
        self.writes
    }
}

impl StateView for Overlay<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        match self.writes.0.get(key) {
            Some(v) => Ok(v.clone()),
            None => self.base.get(key),
        }
    }
}

/// Remembers what its base answered (values and absences), so a key read by many txs of a
/// block (the fee collector, a popular contract's code) costs one store read. Put it between
/// the store view and the block's [`Overlay`]: it sits below the block's writes, so cached
/// base values never hide a write. Not for views whose base changes underneath it.
pub struct ReadCache<'a> {
    base: &'a dyn StateView,
    seen: std::cell::RefCell<std::collections::HashMap<Vec<u8>, Option<Vec<u8>>>>,
}

impl<'a> ReadCache<'a> {
    /// An empty cache over `base`.
    pub fn new(base: &'a dyn StateView) -> Self {
        Self {
            base,
            seen: Default::default(),
        }
    }
}

impl StateView for ReadCache<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        if let Some(v) = self.seen.borrow().get(key) {
            return Ok(v.clone());
        }
        let v = self.base.get(key)?;
        self.seen.borrow_mut().insert(key.to_vec(), v.clone());
        Ok(v)
    }
}

/// An empty state (genesis pre-state, tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptyState;

impl StateView for EmptyState {
    fn get(&self, _key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Ok(None)
    }
}

/// Commits write sets, one version per block.
pub trait StateCommit {
    /// Applies `writes` as version `latest + 1`, durably, and returns the new root.
    fn commit(&mut self, version: u64, writes: &WriteSet) -> Result<Hash32, StateError>;
}

/// Produces membership / non-membership proofs against a committed root.
pub trait StateProver {
    /// The proof format (for the built-in store: ICS-23 `CommitmentProof`).
    type Proof;
    /// Proof that `key` has its value (or is absent) at `version`.
    fn prove(&self, version: u64, key: &[u8])
        -> Result<(Option<Vec<u8>>, Self::Proof), StateError>;
}

/// A versioned, committed, provable key/value store.
pub trait StateStore: StateCommit + StateProver + Send + Sync {
    /// A read view at one version.
    type View<'a>: StateView + StateIter + Send + Sync
    where
        Self: 'a;
    /// The latest committed version (0 before the first commit).
    fn latest_version(&self) -> u64;
    /// The root at `version`.
    fn root_at(&self, version: u64) -> Result<Hash32, StateError>;
    /// A view at `version`.
    fn view_at(&self, version: u64) -> Result<Self::View<'_>, StateError>;
}

/// A [`StateView`] over a plain map, for tests and small in-memory states.
impl StateView for BTreeMap<Vec<u8>, Vec<u8>> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Ok(BTreeMap::get(self, key).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_reads_its_writes_then_base() {
        let mut base = BTreeMap::new();
        base.insert(b"a".to_vec(), b"1".to_vec());
        base.insert(b"b".to_vec(), b"2".to_vec());
        let mut block = Overlay::new(&base);
        block.set(b"a".to_vec(), b"9".to_vec());
        {
            let mut tx = Overlay::new(&block);
            tx.delete(b"b".to_vec());
            assert_eq!(tx.get(b"b").unwrap(), None);
            assert_eq!(tx.get(b"a").unwrap(), Some(b"9".to_vec()));
            // dropped: a failed tx leaves nothing behind
        }
        assert_eq!(block.get(b"b").unwrap(), Some(b"2".to_vec()));
        let w = block.into_writes();
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn read_cache_answers_repeats_from_memory() {
        struct Counting(std::cell::Cell<usize>, BTreeMap<Vec<u8>, Vec<u8>>);
        impl StateView for Counting {
            fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
                self.0.set(self.0.get() + 1);
                Ok(self.1.get(key).cloned())
            }
        }
        let mut m = BTreeMap::new();
        m.insert(b"a".to_vec(), b"1".to_vec());
        let base = Counting(Default::default(), m);
        let cache = ReadCache::new(&base);
        let mut block = Overlay::new(&cache);
        for _ in 0..3 {
            assert_eq!(block.get(b"a").unwrap(), Some(b"1".to_vec()));
            assert_eq!(block.get(b"z").unwrap(), None);
        }
        assert_eq!(base.0.get(), 2);
        // The block's own writes still win over cached base values.
        block.set(b"a".to_vec(), b"2".to_vec());
        assert_eq!(block.get(b"a").unwrap(), Some(b"2".to_vec()));
    }
}
