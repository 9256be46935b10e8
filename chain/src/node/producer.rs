//! Block production: pick ready txs, build a CometBFT header, execute, sign a commit, persist.

use std::time::Duration;

use minitia_core::{Hash32, TxResult};
use prost::Message;
use tendermint::{
    account,
    block::{self, header::Version, parts, Commit, CommitSig, Header, Round},
    crypto::default::Sha256,
    evidence,
    merkle::simple_hash_from_byte_vectors,
    vote::{self, ValidatorIndex, Vote},
    AppHash, Block, Hash, Signature, Time,
};
use tendermint_proto::Protobuf;

use super::{
    blockstore::{BlockResults, NewBlock},
    instance::{lock, read, version_of, write, Node, NodeError, Tip, TipResults},
    ChainApp,
};
use crate::rpc::NodeEvent;

/// CometBFT's block part size.
const BLOCK_PART_SIZE: usize = 65536;

pub(crate) fn merkle(leaves: &[Vec<u8>]) -> Hash {
    Hash::Sha256(simple_hash_from_byte_vectors::<Sha256>(leaves))
}

/// CometBFT's `ABCIResults.Hash`: merkle over the deterministic fields of each result.
pub(crate) fn results_hash(results: &[TxResult]) -> Hash {
    let leaves: Vec<Vec<u8>> = results
        .iter()
        .map(|r| {
            tendermint_proto::v0_38::abci::ExecTxResult {
                code: r.code,
                data: r.data.clone().into(),
                gas_wanted: r.gas_wanted as i64,
                gas_used: r.gas_used as i64,
                ..Default::default()
            }
            .encode_to_vec()
        })
        .collect();
    merkle(&leaves)
}

pub(crate) fn commit_hash(c: &Commit) -> Hash {
    let leaves: Vec<Vec<u8>> = c
        .signatures
        .iter()
        .map(|s| tendermint_proto::v0_37::types::CommitSig::from(s.clone()).encode_to_vec())
        .collect();
    merkle(&leaves)
}

pub(crate) fn part_set_header(block: &Block) -> parts::Header {
    let bytes = Protobuf::<tendermint_proto::types::Block>::encode_vec(block.clone());
    let chunks: Vec<Vec<u8>> = bytes.chunks(BLOCK_PART_SIZE).map(<[u8]>::to_vec).collect();
    let hash = merkle(&chunks);
    // A part-set header with total >= 1 and a SHA-256 hash is always valid.
    parts::Header::new(chunks.len().max(1) as u32, hash).unwrap_or_default()
}

fn to_hash(h: Hash32) -> Hash {
    Hash::Sha256(h.0)
}

impl<A: ChainApp> Node<A> {
    /// Produces one block if there are ready txs (or empty blocks are enabled). Returns the
    /// new height, or `None` when there was nothing to do.
    pub fn produce_block(&self) -> Result<Option<u64>, NodeError> {
        if self.follow.is_some() {
            return Err(NodeError::Inconsistent(
                "a follower node does not produce blocks; it applies the sequencer's".into(),
            ));
        }
        let _guard = lock(&self.produce_lock);
        let tip = read(&self.tip).clone();
        let height = tip.height + 1;
        let view = self.view_at(tip.height)?;
        let ready = lock(&self.mempool).ready(
            |a| self.app.account_nonce(&view, a).unwrap_or(u64::MAX),
            self.opts.max_block_txs,
            self.opts.max_block_bytes,
        );
        // Like CometBFT with `create_empty_blocks = false`: still make the first block, and
        // one more block after a block with txs, so the state they changed lands as the app
        // hash of a signed header (light clients and IBC proofs need it). Blocks without txs
        // change only the block-hash history and do not call for another block.
        let proof_block = tip.height == 0 || tip.results.txs > 0;
        if ready.is_empty() && !self.opts.create_empty_blocks && !proof_block {
            return Ok(None);
        }
        let time = next_time(self.opts.clock.now(), tip.time);
        let prev_root = self.root_at(tip.height)?;
        let txs: Vec<A::Tx> = ready.iter().map(|e| e.tx.clone()).collect();
        let raw: Vec<Vec<u8>> = txs.iter().map(|t| A::tx_bytes(t).to_vec()).collect();
        let tx_hashes: Vec<Hash32> = raw.iter().map(|r| minitia_core::sha256(r)).collect();
        let last_commit = if tip.height > 0 {
            self.blocks.commit(tip.height)?
        } else {
            None
        };
        let vhash = self.validators.hash();
        let header = Header {
            version: Version { block: 11, app: 1 },
            chain_id: self
                .chain_id
                .as_str()
                .try_into()
                .map_err(|e| NodeError::Genesis(format!("chain id: {e}")))?,
            height: block::Height::try_from(height)
                .map_err(|e| NodeError::Inconsistent(e.to_string()))?,
            time,
            last_block_id: tip.block_id,
            last_commit_hash: last_commit.as_ref().map(commit_hash),
            data_hash: Some(merkle(
                &tx_hashes.iter().map(|h| h.0.to_vec()).collect::<Vec<_>>(),
            )),
            validators_hash: vhash,
            next_validators_hash: vhash,
            consensus_hash: to_hash(minitia_core::sha256(
                self.opts.genesis.consensus_params.to_string().as_bytes(),
            )),
            app_hash: AppHash::try_from(prev_root.0.to_vec())
                .map_err(|e| NodeError::Inconsistent(e.to_string()))?,
            last_results_hash: if tip.height > 0 {
                Some(tip.results.hash)
            } else {
                None
            },
            evidence_hash: Some(merkle(&[])),
            proposer_address: self.opts.validator.address(),
        };
        let last_hash = tip.block_id.map_or(Hash32::ZERO, |id| {
            Hash32::from_slice(id.hash.as_bytes()).unwrap_or_default()
        });
        let ctx = self.block_context(height, time, last_hash);
        let mut out = self
            .app
            .execute_block(&ctx, &view, &txs)
            .map_err(|source| NodeError::Engine { height, source })?;
        if let Some(w) = lock(&self.injected).as_ref().filter(|w| w.height == height) {
            tracing::warn!(
                height,
                "fault injection: adding a bogus write to this block"
            );
            out.writes.0.insert(w.key.clone(), Some(w.value.clone()));
        }
        let block = Block::new(header, raw, evidence::List::default(), last_commit);
        let block_id = block::Id {
            hash: block.header.hash(),
            part_set_header: part_set_header(&block),
        };
        let commit = self.sign_commit(&block, block_id, time)?;
        let results = BlockResults {
            tx_results: out.tx_results,
            block_events: out.block_events,
        };
        let seqs: Vec<u64> = ready.iter().map(|e| e.seq).collect();
        self.blocks.put_block(NewBlock {
            block: &block,
            commit: &commit,
            results: &results,
            tx_hashes: &tx_hashes,
            mempool_remove: &seqs,
        })?;
        let root = write(&self.store).commit_writes(version_of(height), &out.writes)?;
        *write(&self.tip) = Tip {
            height,
            block_id: Some(block_id),
            time,
            results: TipResults::of(&results.tx_results),
        };
        self.after_block(
            &ready.iter().map(|e| e.checked.hash).collect::<Vec<_>>(),
            height,
        )?;
        tracing::debug!(height, txs = tx_hashes.len(), %root, "sealed block");
        self.publish(block, results, &tx_hashes, root);
        Ok(Some(height))
    }

    fn sign_commit(
        &self,
        block: &Block,
        block_id: block::Id,
        time: Time,
    ) -> Result<Commit, NodeError> {
        let validator_address: account::Id = self.opts.validator.address();
        let vote = Vote {
            vote_type: vote::Type::Precommit,
            height: block.header.height,
            round: Round::default(),
            block_id: Some(block_id),
            timestamp: Some(time),
            validator_address,
            validator_index: ValidatorIndex::try_from(0u32)
                .map_err(|e| NodeError::Inconsistent(e.to_string()))?,
            signature: None,
            extension: vec![],
            extension_signature: None,
        };
        let sign_bytes = vote.into_signable_vec(block.header.chain_id.clone());
        let sig = self.opts.validator.sign(&sign_bytes);
        Ok(Commit {
            height: block.header.height,
            round: Round::default(),
            block_id,
            signatures: vec![CommitSig::BlockIdFlagCommit {
                validator_address,
                timestamp: time,
                signature: Signature::new(sig).ok().flatten(),
            }],
        })
    }

    /// Drops included and now-stale txs from the mempool (memory and disk).
    fn after_block(&self, included: &[Hash32], height: u64) -> Result<(), NodeError> {
        let view = self.view_at(height)?;
        let mut pool = lock(&self.mempool);
        let mut stale = Vec::new();
        for h in included {
            pool.remove_hash(h);
        }
        for s in pool.senders() {
            if let Ok(n) = self.app.account_nonce(&view, &s) {
                stale.extend(pool.prune_sender(&s, n));
            }
        }
        drop(pool);
        self.blocks.mempool_remove(&stale)?;
        Ok(())
    }

    pub(crate) fn publish(
        &self,
        block: Block,
        results: BlockResults,
        tx_hashes: &[Hash32],
        root: Hash32,
    ) {
        if self.events.receiver_count() == 0 {
            return;
        }
        let height = block.header.height;
        for (i, r) in results.tx_results.iter().enumerate() {
            let tx = super::rpc_backend::tx_response(
                to_hash(tx_hashes[i]),
                height,
                i as u32,
                r,
                block.data[i].clone(),
            );
            let _ = self.events.send(NodeEvent::Tx { tx: Box::new(tx) });
        }
        let res = super::rpc_backend::block_results_response(height, &results, root);
        let _ = self.events.send(NodeEvent::NewBlock {
            block: Box::new(block),
            results: Box::new(res),
        });
    }

    /// Serves the CometBFT RPC on `listener` and produces a block every `block_time` until
    /// `shutdown` resolves or the producer fails; then stops both and waits for the RPC.
    pub async fn run(
        self: std::sync::Arc<Self>,
        listener: tokio::net::TcpListener,
        block_time: Duration,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), NodeError> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|v| *v).await;
        };
        let rpc = tokio::spawn(crate::rpc::serve(
            self.clone(),
            listener,
            stopped(stop_rx.clone()),
        ));
        let producer = self.run_producer(block_time, stopped(stop_rx));
        tokio::pin!(producer);
        tokio::pin!(shutdown);
        let result = tokio::select! {
            r = &mut producer => r,
            _ = &mut shutdown => {
                tracing::info!("shutting down");
                let _ = stop_tx.send(true);
                producer.await
            }
        };
        let _ = stop_tx.send(true);
        let _ = rpc.await;
        result
    }

    /// Runs the producer until `shutdown` resolves: a block every `block_time` when there
    /// is work.
    pub async fn run_producer(
        self: std::sync::Arc<Self>,
        block_time: Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), NodeError> {
        let mut tick = tokio::time::interval(block_time);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => return Ok(()),
                _ = tick.tick() => {
                    let node = self.clone();
                    let r = tokio::task::spawn_blocking(move || node.produce_block()).await;
                    match r {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => return Err(e),
                        Err(e) => return Err(NodeError::Inconsistent(format!("block producer panicked: {e}"))),
                    }
                }
            }
        }
    }
}

/// Block time: now, but strictly after the previous block.
fn next_time(now: Time, prev: Time) -> Time {
    if now > prev {
        now
    } else {
        (prev + Duration::from_millis(1)).unwrap_or(prev)
    }
}
