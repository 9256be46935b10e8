//! Building a proof on the challenger's side.

use std::cell::RefCell;
use std::collections::BTreeSet;

use minitia_core::{ExecutionEngine, Hash32, StateError, StateView};
use minitia_store::{Store, StoreError};
use tendermint::block::Header;

use crate::proof::FraudProof;
use crate::verify::block_context;

/// A view that records every key read through it (the keys a block's witness must cover).
pub struct RecordingView<'a> {
    inner: &'a dyn StateView,
    reads: RefCell<BTreeSet<Vec<u8>>>,
}

impl std::fmt::Debug for RecordingView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingView")
            .field("reads", &self.reads.borrow().len())
            .finish()
    }
}

impl<'a> RecordingView<'a> {
    /// Records reads of `inner`.
    pub fn new(inner: &'a dyn StateView) -> Self {
        Self {
            inner,
            reads: RefCell::new(BTreeSet::new()),
        }
    }

    /// The keys read so far, in key order.
    pub fn into_reads(self) -> BTreeSet<Vec<u8>> {
        self.reads.into_inner()
    }
}

impl StateView for RecordingView<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        self.reads.borrow_mut().insert(key.to_vec());
        self.inner.get(key)
    }
}

/// Why a proof could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Fewer than the headers `N` and `N+1`.
    #[error("a fraud proof needs the headers of blocks N..=M (at least N and N+1), got {0}")]
    TooFewHeaders(usize),
    /// The challenger's own store failed (or no longer retains the pre-state version).
    #[error("challenger state store: {0}")]
    Store(#[from] StoreError),
    /// Header unusable.
    #[error("header {0}: {1}")]
    Header(u64, String),
    /// Re-executing failed on the challenger's own state.
    #[error("re-executing block {height} failed: {reason}")]
    Execute {
        /// Height.
        height: u64,
        /// Engine error.
        reason: String,
    },
}

/// A built proof and what the challenger's re-execution found.
#[derive(Debug, Clone)]
pub struct BuiltProof {
    /// The proof.
    pub proof: FraudProof,
    /// The root re-execution gives.
    pub computed_root: Hash32,
    /// The root header `N+1` claims.
    pub claimed_root: Hash32,
}

impl BuiltProof {
    /// Whether the challenger's re-execution disagrees with the chain (worth submitting).
    pub fn is_fault(&self) -> bool {
        self.computed_root != self.claimed_root
    }
}

/// Builds the proof that block `headers[0]` (`N`) transitions state wrongly, for the output at
/// `headers.last()` (`M`) whose withdrawal root is `storage_root`.
///
/// `store` is the challenger's own state, which must hold the (correct) state after block
/// `N-1` at version `N` — the chain's convention that version `h + 1` is the state after
/// height `h` — as a retained version. Block `N` is executed over it through a
/// [`RecordingView`]; the witness covers every key read or written, with deletes prepared.
/// Undecodable txs are left to the verifier, which judges them a fault.
pub fn build_proof<E: ExecutionEngine>(
    engine: &E,
    store: &Store,
    headers: Vec<Header>,
    txs: Vec<Vec<u8>>,
    storage_root: Hash32,
) -> Result<BuiltProof, BuildError> {
    if headers.len() < 2 {
        return Err(BuildError::TooFewHeaders(headers.len()));
    }
    let n = headers[0].height.value();
    let pre_version = n;
    let ctx = block_context(&headers[0]).map_err(|e| BuildError::Header(n, e))?;
    let view = store.view(pre_version)?;
    let decoded: Result<Vec<E::Tx>, _> = txs.iter().map(|t| engine.decode_tx(t)).collect();
    let Ok(decoded) = decoded else {
        // The verifier judges an undecodable tx a fault by itself; no state is needed.
        let witness = store.witness(pre_version, [], [])?;
        let claimed_root = app_hash(&headers[1]);
        return Ok(BuiltProof {
            proof: FraudProof {
                headers,
                txs,
                witness,
                storage_root,
            },
            computed_root: Hash32::ZERO,
            claimed_root,
        });
    };
    let rec = RecordingView::new(&view);
    let out = engine
        .execute_block(&ctx, &rec, &decoded)
        .map_err(|e| BuildError::Execute {
            height: n,
            reason: e.to_string(),
        })?;
    let mut keys = rec.into_reads();
    let mut deletes = Vec::new();
    for (k, v) in out.writes.iter() {
        keys.insert(k.clone());
        if v.is_none() {
            deletes.push(k.clone());
        }
    }
    let witness = store.witness(
        pre_version,
        keys.iter().map(Vec::as_slice),
        deletes.iter().map(Vec::as_slice),
    )?;
    let computed_root = witness
        .clone()
        .apply(&out.writes)
        .map_err(|e| BuildError::Execute {
            height: n,
            reason: e.to_string(),
        })?;
    let claimed_root = app_hash(&headers[1]);
    Ok(BuiltProof {
        proof: FraudProof {
            headers,
            txs,
            witness,
            storage_root,
        },
        computed_root,
        claimed_root,
    })
}

fn app_hash(h: &Header) -> Hash32 {
    Hash32::from_slice(h.app_hash.as_bytes()).unwrap_or(Hash32::ZERO)
}
