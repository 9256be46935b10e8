//! [`Node`]: opening (genesis, crash repair, mempool reload), tx admission and accessors.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use minitia_core::{Address, BlockContext, ChainId, Hash32, Height, TxResult};
use minitia_store::{Store, StoreConfig, StoreError, StoreView};
use tendermint::{block, validator, Time};
use tokio::sync::broadcast;

use super::{
    blockstore::{BlockStore, BlockStoreError},
    genesis::GenesisDoc,
    keys::ValidatorKey,
    mempool::{Entry, Mempool, MempoolLimits},
    ChainApp,
};
use crate::rpc::{CheckTxOutcome, NodeEvent};

/// Everything a node needs to open.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// Directory of `state.redb` and `blocks.redb`.
    pub data_dir: PathBuf,
    /// The chain's genesis.
    pub genesis: GenesisDoc,
    /// The genesis file as JSON, served by `/genesis`.
    pub genesis_json: serde_json::Value,
    /// The block producer's key.
    pub validator: ValidatorKey,
    /// Mempool limits.
    pub mempool: MempoolLimits,
    /// Most txs per block.
    pub max_block_txs: usize,
    /// Most tx bytes per block.
    pub max_block_bytes: usize,
    /// Produce blocks with no txs.
    pub create_empty_blocks: bool,
    /// Node name shown by `/status`.
    pub moniker: String,
    /// RPC address shown by `/status`.
    pub rpc_address: String,
    /// State versions kept provable in memory.
    pub retained_versions: usize,
    /// Index tx events for `tx_search` by event (CometBFT's `[tx_index] indexer = "kv"`).
    /// Off (`"null"`), blocks store ~30% faster; `tx` by hash and searches by `tx.height` /
    /// `tx.hash` still work, event searches get a clear error. A challenger, which never
    /// searches its own node, runs with it off.
    pub event_index: bool,
    /// Source of block times.
    pub clock: std::sync::Arc<dyn super::clock::Clock>,
}

/// Why the node failed. Every variant halts the node: continuing could diverge.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The state store failed.
    #[error("state store: {0}")]
    Store(#[from] StoreError),
    /// The block store failed.
    #[error(transparent)]
    Blocks(#[from] BlockStoreError),
    /// Block execution failed.
    #[error("executing block {height}: {source}")]
    Engine {
        /// Height.
        height: u64,
        /// Cause.
        source: minitia_core::EngineError,
    },
    /// Genesis could not be applied.
    #[error("genesis: {0}")]
    Genesis(String),
    /// Stored data disagrees with itself.
    #[error("data dir is inconsistent: {0}; restore it from a backup or delete it to resync")]
    Inconsistent(String),
}

/// The chain tip as the producer and RPC see it.
#[derive(Debug, Clone)]
pub(crate) struct Tip {
    pub height: u64,
    pub block_id: Option<block::Id>,
    pub time: Time,
    pub results: TipResults,
}

/// What the next block needs of the last one's results: CometBFT's `LastResultsHash`, and
/// counts for `/metrics`. Kept instead of the results themselves, so the tip stays cheap to
/// copy (CheckTx reads it on every submission; copying every event of the last block there
/// once cut admission after a 1,000-tx block to ~750 tx/s).
#[derive(Clone, Debug)]
pub(crate) struct TipResults {
    pub hash: tendermint::Hash,
    pub txs: usize,
    pub failed: usize,
}

impl TipResults {
    pub(crate) fn of(results: &[TxResult]) -> Self {
        Self {
            hash: super::producer::results_hash(results),
            txs: results.len(),
            failed: results.iter().filter(|r| r.code != 0).count(),
        }
    }
}

/// A running chain node.
pub struct Node<A: ChainApp> {
    pub(crate) app: Arc<A>,
    pub(crate) opts: NodeOptions,
    pub(crate) chain_id: ChainId,
    pub(crate) store: RwLock<Store>,
    pub(crate) blocks: BlockStore,
    pub(crate) mempool: Mutex<Mempool<A::Tx>>,
    pub(crate) tip: RwLock<Tip>,
    pub(crate) events: broadcast::Sender<NodeEvent>,
    pub(crate) produce_lock: Mutex<()>,
    pub(crate) validators: validator::Set,
    /// Set when the node follows a sequencer instead of producing blocks.
    pub(crate) follow: Option<super::follow::FollowState>,
    /// A deliberately wrong write the producer adds to one block (fault injection on dev
    /// chains, see [`Node::inject_wrong_state`]); `None` in normal operation.
    pub(crate) injected: Mutex<Option<InjectedWrite>>,
}

/// A bogus write added to the write set of block `height` after execution, so the state
/// root after it (header `height + 1`'s `app_hash`) is wrong. Fault injection for testing
/// challengers; callers must only set it on dev chains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedWrite {
    /// The block whose state transition is made wrong.
    pub height: u64,
    /// Key written.
    pub key: Vec<u8>,
    /// Value written.
    pub value: Vec<u8>,
}

impl<A: ChainApp> std::fmt::Debug for Node<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("chain_id", &self.chain_id)
            .field("height", &self.height())
            .finish()
    }
}

/// Store version holding the state after `height`.
pub(crate) fn version_of(height: u64) -> u64 {
    height + 1
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) fn read<T>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|p| p.into_inner())
}

pub(crate) fn write<T>(m: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(|p| p.into_inner())
}

impl<A: ChainApp> Node<A> {
    /// Opens the node's data dir: applies genesis on first start, repairs a crash between
    /// storing a block and committing its state, and reloads the persisted mempool.
    pub fn open(app: A, opts: NodeOptions) -> Result<Arc<Self>, NodeError> {
        Self::open_with(app, opts, None)
    }

    /// [`Node::open`] for a producer (`follow = None`) or a follower.
    pub(crate) fn open_with(
        app: A,
        opts: NodeOptions,
        follow: Option<super::follow::FollowState>,
    ) -> Result<Arc<Self>, NodeError> {
        std::fs::create_dir_all(&opts.data_dir).map_err(|e| {
            NodeError::Inconsistent(format!("cannot create {}: {e}", opts.data_dir.display()))
        })?;
        if let Some(r) = super::rollback::finish_pending(&opts.data_dir).map_err(|e| {
            NodeError::Inconsistent(format!("finishing an interrupted rollback: {e}"))
        })? {
            tracing::warn!(
                from = r.from_height,
                to = r.to_height,
                "finished an interrupted rollback"
            );
        }
        let chain_id = ChainId::new(opts.genesis.chain_id.clone())
            .map_err(|e| NodeError::Genesis(e.to_string()))?;
        let mut store = Store::open(
            opts.data_dir.join("state.redb"),
            StoreConfig {
                retained_versions: opts.retained_versions.max(2),
                ..StoreConfig::default()
            },
        )?;
        let blocks = BlockStore::open(&opts.data_dir.join("blocks.redb"))?
            .with_event_index(opts.event_index);
        let app = Arc::new(app);
        let info = match &follow {
            Some(f) => f.validator_info(),
            None => opts.validator.validator_info(10),
        };
        let validators = validator::Set::new(vec![info.clone()], Some(info));

        if store.latest() == 0 {
            if blocks.height()? != 0 {
                return Err(NodeError::Inconsistent(
                    "blocks exist but the state store is empty".into(),
                ));
            }
            let ctx = BlockContext {
                chain_id: chain_id.clone(),
                height: Height(0),
                time_unix_nanos: opts.genesis.genesis_time.unix_timestamp_nanos(),
                proposer: Address::default(),
                max_gas: 0,
                last_block_hash: Hash32::ZERO,
            };
            let writes = app
                .init_genesis(&opts.genesis.app_state, &ctx)
                .map_err(|e| NodeError::Genesis(e.message))?;
            let root = store.commit_writes(version_of(0), &writes)?;
            tracing::info!(%root, keys = writes.len(), "genesis applied");
        }
        let state_height = store.latest() - 1;
        let block_height = blocks.height()?;
        let (tx, _) = broadcast::channel(1024);
        let node = Arc::new(Self {
            app,
            chain_id,
            store: RwLock::new(store),
            blocks,
            mempool: Mutex::new(Mempool::new(opts.mempool)),
            tip: RwLock::new(Tip {
                height: 0,
                block_id: None,
                time: opts.genesis.genesis_time,
                results: TipResults::of(&[]),
            }),
            events: tx,
            produce_lock: Mutex::new(()),
            validators,
            follow,
            opts,
            injected: Mutex::new(None),
        });
        if block_height == state_height + 1 {
            tracing::warn!(
                height = block_height,
                "block stored but its state not committed (crash); re-executing it"
            );
            node.replay_block(block_height)?;
        } else if block_height != state_height {
            return Err(NodeError::Inconsistent(format!(
                "state is at height {state_height} but the block store is at height {block_height}"
            )));
        }
        if block_height > 0 {
            let b = node
                .blocks
                .block(block_height)?
                .ok_or_else(|| NodeError::Inconsistent(format!("block {block_height} missing")))?;
            let results = node.blocks.results(block_height)?.unwrap_or_default();
            let commit = node
                .blocks
                .commit(block_height)?
                .ok_or_else(|| NodeError::Inconsistent(format!("commit {block_height} missing")))?;
            *write(&node.tip) = Tip {
                height: block_height,
                block_id: Some(commit.block_id),
                time: b.header.time,
                results: TipResults::of(&results.tx_results),
            };
        }
        node.reload_mempool()?;
        Ok(node)
    }

    fn replay_block(&self, height: u64) -> Result<(), NodeError> {
        let b = self
            .blocks
            .block(height)?
            .ok_or_else(|| NodeError::Inconsistent(format!("block {height} missing")))?;
        let txs = b
            .data
            .iter()
            .enumerate()
            .map(|(i, raw)| {
                self.app.decode_tx(raw).map_err(|e| NodeError::Engine {
                    height,
                    source: minitia_core::EngineError::BadTx {
                        height: Height(height),
                        index: i,
                        reason: e.message,
                    },
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let last_block_hash = b.header.last_block_id.map_or(Hash32::ZERO, |id| {
            Hash32::from_slice(id.hash.as_bytes()).unwrap_or_default()
        });
        let mut ctx = self.block_context(height, b.header.time, last_block_hash);
        // the block's own proposer: a follower repairs blocks another node signed
        ctx.proposer =
            Address::from_slice(b.header.proposer_address.as_bytes()).unwrap_or_default();
        let view = read(&self.store).view(version_of(height - 1))?;
        let out = self
            .app
            .execute_block(&ctx, &view, &txs)
            .map_err(|source| NodeError::Engine { height, source })?;
        let stored = self.blocks.results(height)?.unwrap_or_default();
        if stored.tx_results != out.tx_results {
            return Err(NodeError::Inconsistent(format!(
                "re-executing block {height} gives results that differ from the stored ones"
            )));
        }
        write(&self.store).commit_writes(version_of(height), &out.writes)?;
        Ok(())
    }

    fn reload_mempool(&self) -> Result<(), NodeError> {
        let entries = self.blocks.mempool_all()?;
        let (mut kept, mut dropped) = (0usize, Vec::new());
        let view = self.latest_view()?;
        let ctx = self.next_block_context();
        let mut pool = lock(&self.mempool);
        for (seq, raw) in entries {
            let admitted = self.app.decode_tx(&raw).and_then(|tx| {
                let checked = self.app.check_tx(&ctx, &view, &tx)?;
                pool.insert(Entry {
                    seq,
                    tx,
                    size: raw.len(),
                    checked,
                })
            });
            match admitted {
                Ok(ins) => {
                    kept += 1;
                    dropped.extend(ins.removed);
                }
                Err(e) => {
                    tracing::info!(seq, reason = %e, "dropping persisted mempool tx that no longer passes checks");
                    dropped.push(seq);
                }
            }
        }
        drop(pool);
        self.blocks.mempool_remove(&dropped)?;
        if kept > 0 || !dropped.is_empty() {
            tracing::info!(kept, dropped = dropped.len(), "mempool reloaded");
        }
        Ok(())
    }

    pub(crate) fn block_context(
        &self,
        height: u64,
        time: Time,
        last_block_hash: Hash32,
    ) -> BlockContext {
        BlockContext {
            chain_id: self.chain_id.clone(),
            height: Height(height),
            time_unix_nanos: time.unix_timestamp_nanos(),
            proposer: Address::from_slice(self.opts.validator.address().as_bytes())
                .unwrap_or_default(),
            max_gas: 0,
            last_block_hash,
        }
    }

    pub(crate) fn next_block_context(&self) -> BlockContext {
        let tip = read(&self.tip).clone();
        let last = tip.block_id.map_or(Hash32::ZERO, |id| {
            Hash32::from_slice(id.hash.as_bytes()).unwrap_or_default()
        });
        self.block_context(tip.height + 1, tip.time, last)
    }

    /// A view of the latest committed state.
    pub fn latest_view(&self) -> Result<StoreView, NodeError> {
        let h = read(&self.tip).height;
        Ok(read(&self.store).view(version_of(h))?)
    }

    /// A view of the state after `height`.
    pub fn view_at(&self, height: u64) -> Result<StoreView, NodeError> {
        Ok(read(&self.store).view(version_of(height))?)
    }

    /// The state root after `height`.
    pub fn root_at(&self, height: u64) -> Result<Hash32, NodeError> {
        Ok(read(&self.store).root_of(version_of(height))?)
    }

    /// Latest block height.
    pub fn height(&self) -> u64 {
        read(&self.tip).height
    }

    /// The app.
    pub fn app(&self) -> &A {
        &self.app
    }

    /// The block store.
    pub fn blocks(&self) -> &BlockStore {
        &self.blocks
    }

    /// Runs `f` on the state store, read-locked (a challenger builds fraud-proof witnesses
    /// from its retained versions).
    pub fn with_store<R>(&self, f: impl FnOnce(&Store) -> R) -> R {
        f(&read(&self.store))
    }

    /// Makes the producer apply a wrong state transition at `w.height` (one extra write).
    /// Fault injection for dev chains only: the caller checks that the chain is one.
    pub fn inject_wrong_state(&self, w: InjectedWrite) {
        tracing::warn!(
            height = w.height,
            "fault injection: block's state transition will be wrong"
        );
        *lock(&self.injected) = Some(w);
    }

    /// Pending tx count.
    pub fn mempool_len(&self) -> usize {
        lock(&self.mempool).len()
    }

    /// Subscribes to committed blocks and txs.
    pub fn subscribe(&self) -> broadcast::Receiver<NodeEvent> {
        self.events.subscribe()
    }

    /// Checks a tx and, if it passes, persists it to the mempool before returning: an
    /// accepted tx survives a crash.
    pub fn submit_tx(&self, raw: Vec<u8>) -> Result<CheckTxOutcome, NodeError> {
        let hash = minitia_core::sha256(&raw);
        let thash = tendermint::Hash::Sha256(hash.0);
        let reject = |e: minitia_core::TxError| CheckTxOutcome {
            hash: thash,
            code: e.code,
            codespace: e.codespace,
            log: e.message,
        };
        if self.follow.is_some() {
            return Ok(super::follow::read_only_outcome(thash));
        }
        let tx = match self.app.decode_tx(&raw) {
            Ok(t) => t,
            Err(e) => return Ok(reject(e)),
        };
        let view = self.latest_view()?;
        let ctx = self.next_block_context();
        let checked = match self.app.check_tx(&ctx, &view, &tx) {
            Ok(c) => c,
            Err(e) => return Ok(reject(e)),
        };
        if let Err(e) = lock(&self.mempool).admit(&checked, raw.len()) {
            return Ok(reject(e));
        }
        // Persist outside the mempool lock so concurrent submitters share one fsync; the
        // insert below re-checks admission, since the pool may have changed meanwhile.
        let seq = self.blocks.mempool_put(&raw)?;
        let inserted = lock(&self.mempool).insert(Entry {
            seq,
            tx,
            size: raw.len(),
            checked,
        });
        match inserted {
            Ok(ins) => {
                self.blocks.mempool_remove(&ins.removed)?;
                Ok(CheckTxOutcome {
                    hash: thash,
                    code: 0,
                    codespace: String::new(),
                    log: String::new(),
                })
            }
            Err(e) => {
                self.blocks.mempool_remove(&[seq])?;
                Ok(reject(e))
            }
        }
    }
}
