//! Errors of the store, and their mapping onto the engine-facing [`StateError`].

use minitia_core::state::StateError;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// redb failed (IO, lock held by another process, on-disk corruption detected by redb).
    #[error("redb: {0}")]
    Db(#[from] redb::Error),
    /// The data directory disagrees with itself.
    #[error("stored state is inconsistent: {0}")]
    Corrupt(String),
    /// A write set contained an empty key. ICS-23 existence proofs require a non-empty key,
    /// so such a key could never be proven; it is rejected before anything is written.
    #[error("empty keys cannot be committed (ICS-23 cannot prove them)")]
    EmptyKey,
    /// A write set set a key to an empty value. ICS-23 existence proofs require a non-empty
    /// value; delete the key instead.
    #[error("key 0x{0} is set to an empty value; ICS-23 cannot prove empty values, delete the key instead")]
    EmptyValue(String),
    /// Two distinct keys of one write set hash to the same SHA-256 (never expected in practice;
    /// checked because the tree cannot place two leaves at one key hash).
    #[error("keys 0x{0} and 0x{1} collide under SHA-256")]
    KeyHashCollision(String, String),
    /// See [`StateError::OutOfOrder`].
    #[error("commit out of order: latest version is {latest}, got {got}")]
    OutOfOrder {
        /// Latest committed version.
        latest: u64,
        /// Version given.
        got: u64,
    },
    /// See [`StateError::VersionUnavailable`].
    #[error("state version {requested} is not available (retained: {oldest}..={latest})")]
    VersionUnavailable {
        /// Version asked for.
        requested: u64,
        /// Oldest version available for this operation.
        oldest: u64,
        /// Latest committed version.
        latest: u64,
    },
}

impl StoreError {
    /// Wraps any of redb's specific error types.
    pub(crate) fn db(e: impl Into<redb::Error>) -> Self {
        Self::Db(e.into())
    }
}

impl From<StoreError> for StateError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Corrupt(msg) => StateError::Corrupt(msg),
            StoreError::OutOfOrder { latest, got } => StateError::OutOfOrder { latest, got },
            StoreError::VersionUnavailable {
                requested,
                oldest,
                latest,
            } => StateError::VersionUnavailable {
                requested,
                oldest,
                latest,
            },
            // A redb-detected corruption is still "the data dir is inconsistent".
            StoreError::Db(redb::Error::Corrupted(msg)) => StateError::Corrupt(msg),
            // `StateError` has no "invalid write" variant; the message says what was wrong.
            other @ (StoreError::Db(_)
            | StoreError::EmptyKey
            | StoreError::EmptyValue(_)
            | StoreError::KeyHashCollision(..)) => StateError::Backend(other.to_string()),
        }
    }
}
