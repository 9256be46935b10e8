//! The node: block store, persisted mempool, block producer and the RPC backend, generic over
//! the app ([`ChainApp`]). The L1 and every minitia run this same node with different apps.
//!
//! # Conventions
//! - **App hash**: as in CometBFT, header `N`'s `app_hash` is the state root *after block
//!   `N-1`* (after genesis for block 1); `block_results(N).app_hash` is the root after `N`.
//! - **State versions**: the state store's version `h + 1` holds the state after height `h`
//!   (version 1 = genesis), because the store reserves version 0 for the empty state.
//! - **Crash safety**: a block is produced as (1) execute, (2) store block + results + commit
//!   and drop its txs from the persisted mempool in one redb transaction, (3) commit state.
//!   A crash between (2) and (3) is repaired at start by re-executing the stored block.

pub mod blockstore;
pub mod clock;
pub mod follow;
pub use minitia_app::genesis;
mod instance;
pub mod keys;
pub mod mempool;
mod producer;
pub mod rollback;
mod rpc_backend;

pub use instance::{InjectedWrite, Node, NodeError, NodeOptions};

use minitia_core::{Address, BlockContext};

pub use minitia_app::ChainApp;

/// Applies `genesis` to the empty `store` (version 1) and returns the context for block 1
/// and the genesis root. The first step of every replay from genesis.
pub(crate) fn replay_genesis<A: ChainApp>(
    app: &A,
    genesis: &genesis::GenesisDoc,
    store: &mut minitia_store::Store,
) -> Result<(BlockContext, minitia_core::Hash32), NodeError> {
    let chain_id = minitia_core::ChainId::new(genesis.chain_id.clone())
        .map_err(|e| NodeError::Genesis(e.to_string()))?;
    let ctx = BlockContext {
        chain_id,
        height: minitia_core::Height(0),
        time_unix_nanos: genesis.genesis_time.unix_timestamp_nanos(),
        proposer: Address::default(),
        max_gas: 0,
        last_block_hash: minitia_core::Hash32::ZERO,
    };
    let writes = app
        .init_genesis(&genesis.app_state, &ctx)
        .map_err(|e| NodeError::Genesis(e.message))?;
    let root = store.commit_writes(instance::version_of(0), &writes)?;
    Ok((ctx, root))
}

/// Re-executes stored block `b` on `store` (whose latest version is the state before it)
/// with the context its header gives (`ctx` is updated in place), commits the writes and
/// returns the output and the new root. The step of every replay from genesis.
pub(crate) fn replay_stored_block<A: ChainApp>(
    app: &A,
    ctx: &mut BlockContext,
    store: &mut minitia_store::Store,
    b: &tendermint::block::Block,
) -> Result<(minitia_core::BlockOutput, minitia_core::Hash32), NodeError> {
    use minitia_core::{Hash32, Height};
    let h = b.header.height.value();
    let txs = b
        .data
        .iter()
        .map(|raw| {
            app.decode_tx(raw)
                .map_err(|e| NodeError::Inconsistent(format!("block {h}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    ctx.height = Height(h);
    ctx.time_unix_nanos = b.header.time.unix_timestamp_nanos();
    ctx.proposer = Address::from_slice(b.header.proposer_address.as_bytes()).unwrap_or_default();
    ctx.last_block_hash = b.header.last_block_id.map_or(Hash32::ZERO, |id| {
        Hash32::from_slice(id.hash.as_bytes()).unwrap_or_default()
    });
    let view = store.view(instance::version_of(h - 1))?;
    let out = app
        .execute_block(ctx, &view, &txs)
        .map_err(|source| NodeError::Engine { height: h, source })?;
    let root = store.commit_writes(instance::version_of(h), &out.writes)?;
    Ok((out, root))
}

/// Re-executes every block of `blocks` from genesis into a fresh state store in `scratch_dir`
/// and returns the state root after each height (index 0 = genesis). Used to check that a
/// node's committed state equals a clean replay of its chain.
pub fn replay_roots<A: ChainApp>(
    app: &A,
    genesis: &genesis::GenesisDoc,
    blocks: &blockstore::BlockStore,
    scratch_dir: &std::path::Path,
) -> Result<Vec<minitia_core::Hash32>, NodeError> {
    let mut store = minitia_store::Store::open(
        scratch_dir.join("replay.redb"),
        minitia_store::StoreConfig::default(),
    )?;
    let (mut ctx, root) = replay_genesis(app, genesis, &mut store)?;
    let mut roots = vec![root];
    for h in 1..=blocks.height()? {
        let b = blocks
            .block(h)?
            .ok_or_else(|| NodeError::Inconsistent(format!("block {h} missing")))?;
        roots.push(replay_stored_block(app, &mut ctx, &mut store, &b)?.1);
    }
    Ok(roots)
}
