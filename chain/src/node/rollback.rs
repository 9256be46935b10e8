//! Rolling a stopped node back to an earlier height, for recovery after the L1 deleted an
//! output (a proven wrong state transition, or a wrong root the proposer posted).
//!
//! The node's state is rebuilt, not rewound: blocks `1..=to` are re-executed from genesis
//! into a fresh state store next to the old one, each block's results must equal the stored
//! ones and each resulting root must equal the `app_hash` the next stored header recorded,
//! so a rollback can only land on a height whose state the chain itself vouched for. The
//! txs of the discarded blocks `to+1..` go back into the persisted mempool, in chain order
//! and ahead of what was pending, so no accepted tx is lost: the producer re-includes them
//! in the new blocks `to+1..`. The old `state.redb` and `blocks.redb` are kept in
//! `rolled-back-<from>-to-<to>-<unix time>/` inside the data dir.
//!
//! Crash safety: the new files are built in `<data_dir>/rollback/` and a `COMPLETE` marker
//! is written (fsynced) only once they are whole. Until then a crash leaves the node's files
//! untouched and the next rollback starts over. After the marker, the files are swapped by
//! renames; [`finish_pending`] (run by [`super::Node::open`] and by [`rollback`]) completes a
//! swap a crash interrupted, so the node never opens half-swapped files.
//!
//! Compare: OPinit's answer to a deleted output is an operator-driven `minitiad rollback`
//! plus re-proposal; ours checks every replayed root against the chain's own headers.

use std::path::{Path, PathBuf};

use minitia_core::Hash32;
use minitia_store::{Store, StoreConfig};
use serde::{Deserialize, Serialize};
use tendermint::block::Block;

use super::blockstore::{BlockStore, NewBlock};
use super::genesis::GenesisDoc;
use super::instance::NodeError;
use super::ChainApp;

/// The node's files a rollback replaces.
const FILES: [&str; 2] = ["state.redb", "blocks.redb"];
/// Staging dir inside the data dir.
const STAGING: &str = "rollback";
/// Marker, inside the staging dir, that the staged files are whole.
const COMPLETE: &str = "COMPLETE";

/// What a rollback did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackReport {
    /// Tip before.
    pub from_height: u64,
    /// Tip after.
    pub to_height: u64,
    /// State root after `to_height` (re-executed, and equal to what the chain recorded).
    pub root: Hash32,
    /// Txs of the discarded blocks put back into the mempool.
    pub requeued_txs: usize,
    /// Mempool entries that were pending before and are kept.
    pub pending_txs: usize,
    /// Where the old `state.redb` and `blocks.redb` now are.
    pub backup_dir: PathBuf,
    /// The discarded block `to_height + 1` recorded a different root after `to_height`
    /// than the replay gives: the discarded chain applied a wrong state transition at
    /// `to_height` (what a fraud proof proves), which the rollback repaired.
    pub diverged_after_target: bool,
}

/// Why a rollback was refused or failed. Nothing of the node's data is changed by a refusal.
#[derive(Debug, thiserror::Error)]
pub enum RollbackError {
    /// Target above the tip.
    #[error("cannot roll back to height {to}: the node is at height {tip}")]
    AboveTip {
        /// Requested.
        to: u64,
        /// Tip.
        tip: u64,
    },
    /// Re-executing a block gave a state the chain did not record: the chain diverged at or
    /// before this height, so the target must be lower.
    #[error(
        "re-executing block {height} gives state root {replayed} but block {next} records app \
         hash {recorded}: the chain applied a wrong state transition at height {height} or \
         earlier; roll back to at most height {below}"
    )]
    Diverged {
        /// The block whose re-execution disagrees.
        height: u64,
        /// `height + 1`.
        next: u64,
        /// Root from the replay.
        replayed: Hash32,
        /// `app_hash` of block `height + 1`.
        recorded: Hash32,
        /// The highest height a rollback can land on: `height` itself (its block is sound,
        /// the state after it is not, and the block after it is discarded).
        below: u64,
    },
    /// Anything else (IO, a store, a missing block, the node still running).
    #[error(transparent)]
    Node(#[from] NodeError),
    /// File system.
    #[error("{0}")]
    Io(String),
}

fn io(what: &str, p: &Path) -> impl FnOnce(std::io::Error) -> RollbackError {
    let what = format!("{what} {}", p.display());
    move |e| RollbackError::Io(format!("{what}: {e}"))
}

fn fsync_dir(p: &Path) -> Result<(), RollbackError> {
    std::fs::File::open(p)
        .and_then(|f| f.sync_all())
        .map_err(io("cannot fsync", p))
}

/// Rolls the (stopped) node in `data_dir` back to height `to`; see the module docs. Refuses
/// with [`RollbackError::Diverged`] when the replayed state after some height `h <= to`
/// differs from the app hash the chain recorded after `h`, and with a store error when the
/// node still runs (its databases are locked).
pub fn rollback<A: ChainApp>(
    app: &A,
    genesis: &GenesisDoc,
    data_dir: &Path,
    to: u64,
) -> Result<RollbackReport, RollbackError> {
    finish_pending(data_dir)?;
    let staging = data_dir.join(STAGING);
    if staging.exists() {
        tracing::warn!(dir = %staging.display(), "discarding an incomplete earlier rollback");
        std::fs::remove_dir_all(&staging).map_err(io("cannot remove", &staging))?;
    }
    let old = BlockStore::open(&data_dir.join("blocks.redb")).map_err(NodeError::from)?;
    // Held open for the whole rollback: redb locks the file, so this fails while the node
    // runs, and a node started meanwhile fails to open instead of writing to files about
    // to be replaced.
    let tip = old.height().map_err(NodeError::from)?;
    if to > tip {
        return Err(RollbackError::AboveTip { to, tip });
    }
    std::fs::create_dir_all(&staging).map_err(io("cannot create", &staging))?;
    let mut store =
        Store::open(staging.join("state.redb"), StoreConfig::default()).map_err(NodeError::from)?;
    let blocks = BlockStore::open(&staging.join("blocks.redb")).map_err(NodeError::from)?;

    let (mut ctx, mut root) = super::replay_genesis(app, genesis, &mut store)?;
    // Each stored block is read once: `next` is block `h + 1` while block `h` replays.
    let mut next = old.block(1).map_err(NodeError::from)?;
    if to > 0 {
        check_recorded(next.as_ref(), 0, root)?;
    }
    for h in 1..=to {
        let missing = |what: &str| NodeError::Inconsistent(format!("{what} {h} missing"));
        let b = next.take().ok_or_else(|| missing("block"))?;
        next = old.block(h + 1).map_err(NodeError::from)?;
        let commit = old
            .commit(h)
            .map_err(NodeError::from)?
            .ok_or_else(|| missing("commit"))?;
        let stored = old
            .results(h)
            .map_err(NodeError::from)?
            .ok_or_else(|| missing("results"))?;
        let (out, new_root) = super::replay_stored_block(app, &mut ctx, &mut store, &b)?;
        if out.tx_results != stored.tx_results {
            return Err(NodeError::Inconsistent(format!(
                "re-executing block {h} gives results that differ from the stored ones"
            ))
            .into());
        }
        let tx_hashes: Vec<Hash32> = b.data.iter().map(|r| minitia_core::sha256(r)).collect();
        blocks
            .put_block(NewBlock {
                block: &b,
                commit: &commit,
                results: &stored,
                tx_hashes: &tx_hashes,
                mempool_remove: &[],
            })
            .map_err(NodeError::from)?;
        root = new_root;
        // Block `to + 1` is discarded: its app hash is what is in doubt, not checked.
        if h < to {
            check_recorded(next.as_ref(), h, root)?;
        }
    }
    // `next` is now block `to + 1`, the first discarded one.
    let diverged_after_target = next
        .as_ref()
        .is_some_and(|n| Hash32::from_slice(n.header.app_hash.as_bytes()) != Some(root));
    // Discarded blocks' txs first, in chain order, then what was pending; one transaction.
    let mut requeue: Vec<Vec<u8>> = next.map(|b| b.data).unwrap_or_default();
    for h in to + 2..=tip {
        let b = old
            .block(h)
            .map_err(NodeError::from)?
            .ok_or_else(|| NodeError::Inconsistent(format!("block {h} missing")))?;
        requeue.extend(b.data);
    }
    let requeued = requeue.len();
    let pending = old.mempool_all().map_err(NodeError::from)?;
    requeue.extend(pending.iter().map(|(_, raw)| raw.clone()));
    blocks.mempool_put_all(&requeue).map_err(NodeError::from)?;
    drop(store);
    drop(blocks);
    drop(old);

    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let backup_dir = data_dir.join(format!("rolled-back-{tip}-to-{to}-{stamp}"));
    let report = RollbackReport {
        from_height: tip,
        to_height: to,
        root,
        requeued_txs: requeued,
        pending_txs: pending.len(),
        backup_dir: backup_dir.clone(),
        diverged_after_target,
    };
    for f in FILES {
        let p = staging.join(f);
        std::fs::File::open(&p)
            .and_then(|f| f.sync_all())
            .map_err(io("cannot fsync", &p))?;
    }
    let marker = staging.join(COMPLETE);
    let body = serde_json::to_vec_pretty(&report).map_err(|e| RollbackError::Io(e.to_string()))?;
    std::fs::write(&marker, body).map_err(io("cannot write", &marker))?;
    std::fs::File::open(&marker)
        .and_then(|f| f.sync_all())
        .map_err(io("cannot fsync", &marker))?;
    fsync_dir(&staging)?;
    finish_pending(data_dir)?;
    tracing::info!(
        from = tip,
        to,
        %root,
        requeued,
        backup = %backup_dir.display(),
        "rolled back"
    );
    Ok(report)
}

/// Block `h + 1` (`next`), when stored, records the root after `h` as its app hash.
fn check_recorded(next: Option<&Block>, h: u64, replayed: Hash32) -> Result<(), RollbackError> {
    let Some(next) = next else {
        return Ok(());
    };
    let recorded = Hash32::from_slice(next.header.app_hash.as_bytes()).unwrap_or_default();
    if recorded != replayed {
        return Err(RollbackError::Diverged {
            height: h,
            next: h + 1,
            replayed,
            recorded,
            below: h,
        });
    }
    Ok(())
}

/// Completes a rollback whose staged files are whole (`COMPLETE` written) but whose swap a
/// crash interrupted; a no-op otherwise. Idempotent: each step checks what is already done.
pub fn finish_pending(data_dir: &Path) -> Result<Option<RollbackReport>, RollbackError> {
    let staging = data_dir.join(STAGING);
    let marker = staging.join(COMPLETE);
    let Ok(body) = std::fs::read(&marker) else {
        return Ok(None);
    };
    let report: RollbackReport = serde_json::from_slice(&body)
        .map_err(|e| RollbackError::Io(format!("{} is corrupt: {e}", marker.display())))?;
    std::fs::create_dir_all(&report.backup_dir).map_err(io("cannot create", &report.backup_dir))?;
    for f in FILES {
        let staged = staging.join(f);
        if !staged.exists() {
            continue; // already moved into place
        }
        let live = data_dir.join(f);
        let backup = report.backup_dir.join(f);
        if live.exists() && !backup.exists() {
            std::fs::rename(&live, &backup).map_err(io("cannot move", &live))?;
        } else if live.exists() {
            // backup taken by an interrupted run; `live` is then the staged file moved in
            // by it, and `staged` cannot also exist; refuse rather than guess
            return Err(RollbackError::Io(format!(
                "{} and {} both exist with {} staged: move one away by hand",
                live.display(),
                backup.display(),
                staged.display()
            )));
        }
        std::fs::rename(&staged, &live).map_err(io("cannot move", &staged))?;
    }
    fsync_dir(&report.backup_dir)?;
    fsync_dir(data_dir)?;
    std::fs::remove_dir_all(&staging).map_err(io("cannot remove", &staging))?;
    fsync_dir(data_dir)?;
    Ok(Some(report))
}
