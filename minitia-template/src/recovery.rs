//! Recovery of a minitia home after the L1 deleted outputs: rolls the node back to the last
//! valid output's L2 height and rewinds the bots that keep their own view of the chain.
//!
//! - the node ([`minitia_chain::node::rollback`]): blocks re-executed from genesis and
//!   checked against the chain's own app hashes; the discarded blocks' txs go back into the
//!   mempool, so the producer re-includes them;
//! - the executor's database ([`crate::bridge::store::BridgeStore::rewind_to`]): withdrawals
//!   and outputs above the height are forgotten and rescanned from the new blocks, so the
//!   proposer posts the new chain's roots for the deleted output indexes;
//! - the batcher's WAL ([`crate::batcher::wal::Wal::rewind_to`]): the next batch starts
//!   right after the height, so the new blocks are posted to DA and recorded on the L1.
//!
//! Every part is idempotent: after a crash, run the same rollback again. Stop the node and
//! the bots of the home first (the node's and executor's databases are locked while they
//! run, and the rollback refuses).
//!
//! Followers and challengers: records posted before the deletion are superseded above the
//! rollback height once the batcher re-posts from there ([`crate::follower::Deletion`]), so
//! nodes that start afterwards derive the new chain. A follower or challenger process that
//! derived the discarded blocks rolls its own home back with this function and continues
//! ([`crate::follower::run_follower_home`], [`crate::challenger::run_challenger_with`]).

use std::path::{Path, PathBuf};

use minitia_chain::node::{
    rollback::{rollback, RollbackReport},
    ChainApp,
};
use serde::Serialize;

use crate::config::NodeConfig;

/// What a home rollback did.
#[derive(Debug, Clone, Serialize)]
pub struct HomeRollback {
    /// The node.
    pub node: RollbackReport,
    /// The executor database, if the home has one: `(withdrawals, outputs)` forgotten.
    pub executor: Option<(u64, u64)>,
    /// The batcher WAL, if the home has one: the height the next batch starts at.
    pub batcher_next_start: Option<u64>,
    /// The executor database path.
    pub executor_db: PathBuf,
    /// The batcher WAL dir.
    pub batcher_wal: PathBuf,
}

/// Rolls the stopped home at `home` back to L2 height `to` with `app` (the engine its
/// genesis names). See the module docs.
pub fn rollback_home<A: ChainApp>(
    home: &Path,
    config: &NodeConfig,
    app: &A,
    to: u64,
) -> Result<HomeRollback, String> {
    let (_, opts) = crate::run::node_options(home, config).map_err(|e| e.to_string())?;
    let node = rollback(app, &opts.genesis, &opts.data_dir, to).map_err(|e| e.to_string())?;
    let executor_db = opts.data_dir.join("bridge").join("executor.redb");
    let executor = if executor_db.exists() {
        let store =
            crate::bridge::store::BridgeStore::open(&executor_db).map_err(|e| e.to_string())?;
        Some(store.rewind_to(to).map_err(|e| e.to_string())?)
    } else {
        None
    };
    let batcher_wal = opts.data_dir.join("batcher");
    let batcher_next_start = if batcher_wal.join(crate::batcher::wal::STATE_FILE).exists() {
        let mut wal = crate::batcher::wal::Wal::open(&batcher_wal, 1).map_err(|e| e.to_string())?;
        Some(wal.rewind_to(to).map_err(|e| e.to_string())?)
    } else {
        None
    };
    tracing::info!(
        from = node.from_height,
        to,
        ?executor,
        ?batcher_next_start,
        "home rolled back"
    );
    Ok(HomeRollback {
        node,
        executor,
        batcher_next_start,
        executor_db,
        batcher_wal,
    })
}

/// How long a process waits for the last users of its node to let go before a live rollback
/// gives up (the node's files cannot be replaced while open).
pub const RELEASE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The live form of [`rollback_home`], for a follower or challenger process that stopped
/// using its node: waits until `node` is dropped everywhere ([`RELEASE_TIMEOUT`] at most),
/// then rolls the home back to `to` on a blocking thread with the engine `make_app` builds.
pub async fn rollback_released_home<A, F>(
    home: &Path,
    config: &NodeConfig,
    make_app: F,
    node: std::sync::Weak<minitia_chain::node::Node<A>>,
    to: u64,
) -> Result<HomeRollback, crate::run::RunError>
where
    A: ChainApp + 'static,
    F: Fn(minitia_chain::app::AppConfig) -> A + Send + 'static,
{
    use crate::run::RunError;
    let waited = std::time::Instant::now();
    while node.strong_count() > 0 {
        if waited.elapsed() > RELEASE_TIMEOUT {
            return Err(RunError::Other(format!(
                "the node is still in use after {RELEASE_TIMEOUT:?}, so it was not rolled back \
                 live: stop the process, run `minitia rollback --home {} --to-height {to}` and \
                 start it again",
                home.display()
            )));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (home, config) = (home.to_path_buf(), config.clone());
    tokio::task::spawn_blocking(move || {
        let (app_config, _) = crate::run::node_options(&home, &config)?;
        rollback_home(&home, &config, &make_app(app_config), to).map_err(RunError::Other)
    })
    .await
    .map_err(|e| RunError::Other(format!("rollback panicked: {e}")))?
}
