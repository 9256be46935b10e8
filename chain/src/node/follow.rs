//! Follower mode: a node that never produces blocks but applies the blocks a sequencer
//! produced (read back from DA or the L1), after checking everything it can check.
//!
//! For each block [`Node::apply_block`] checks, before touching any state:
//! - chain id, height continuity, and `last_block_id` = our tip's block id (hash linkage);
//! - proposer, `validators_hash`, `next_validators_hash` = the genesis sequencer;
//! - `consensus_hash`, `data_hash` over the txs, `last_commit_hash` over the carried last
//!   commit, `last_results_hash` = our results of the previous block, `evidence_hash`;
//! - `app_hash` = our state root after the previous block;
//! - the commit: it signs this block's id (header hash + part-set header, recomputed here)
//!   with the sequencer's ed25519 key.
//!
//! Then it executes the txs with the same engine (a tx that fails inside a signed block gets
//! the same failing result it got on the sequencer), and stores block, commit and results
//! and commits state exactly as the producer does. Any check that fails is a
//! [`FollowError`] naming the height and both values; nothing is written.
//!
//! Header `N` only commits to the state after `N-1`, so the root after the newest applied
//! block is confirmed when the next block arrives.

use std::sync::{Arc, Mutex};

use minitia_core::{Address, Hash32};
use tendermint::{
    block::{self, Block, Commit, CommitSig},
    validator,
    vote::{self, ValidatorIndex, Vote},
    PublicKey,
};

use super::{
    blockstore::{BlockResults, NewBlock},
    instance::{lock, read, version_of, write, Node, NodeError, NodeOptions, Tip, TipResults},
    producer::{commit_hash, merkle, part_set_header},
    ChainApp,
};
use crate::rpc::CheckTxOutcome;

/// The voting power the producer gives its single validator (see `produce_block`).
const SEQUENCER_POWER: u64 = 10;

/// The CheckTx code a follower answers every submitted tx with.
pub const READ_ONLY_CODE: u32 = 1;
/// The CheckTx codespace a follower answers every submitted tx with.
pub const READ_ONLY_CODESPACE: &str = "follower";
/// The message a follower answers every submitted tx with.
pub const READ_ONLY_LOG: &str =
    "this node is a read-only follower that derives the chain from the L1 and DA; send txs to the sequencer's RPC";

/// Why a block was not applied. Nothing was written in any case.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    /// The node was opened as a producer.
    #[error("this node produces blocks; open it with Node::open_follower to apply blocks")]
    NotFollower,
    /// The block is not the next one; the caller should supply the missing blocks first.
    #[error("block {got} does not follow the tip: the next block is {expected}")]
    Gap {
        /// The next height this node can apply.
        expected: u64,
        /// The height offered.
        got: u64,
    },
    /// A header field, hash or root disagrees with what this node computed.
    #[error("block {height}: {what} mismatch: expected {expected}, the block has {got}")]
    Mismatch {
        /// Height of the offered block.
        height: u64,
        /// Which field or value.
        what: &'static str,
        /// What this node computed (or already stored).
        expected: String,
        /// What the block carries.
        got: String,
    },
    /// The commit does not carry a valid signature of the sequencer on this block.
    #[error("block {height}: commit is not signed by the sequencer {sequencer}: {reason}")]
    BadSignature {
        /// Height of the block.
        height: u64,
        /// The sequencer's address.
        sequencer: String,
        /// What is wrong.
        reason: String,
    },
    /// A tx in the block does not decode (a sequencer never seals such a tx).
    #[error("block {height}: tx {index} does not decode: {reason}")]
    BadTx {
        /// Height.
        height: u64,
        /// Position in the block.
        index: usize,
        /// Decoder error.
        reason: String,
    },
    /// The node failed (storage or engine).
    #[error(transparent)]
    Node(#[from] NodeError),
}

impl From<super::blockstore::BlockStoreError> for FollowError {
    fn from(e: super::blockstore::BlockStoreError) -> Self {
        Self::Node(e.into())
    }
}

impl FollowError {
    /// True when the block itself is wrong (a different chain, a forged or corrupted block,
    /// or a state transition we compute differently): derivation must halt here, and this
    /// is the evidence a challenger acts on. False for gaps and local failures.
    pub fn is_fault(&self) -> bool {
        matches!(
            self,
            Self::Mismatch { .. } | Self::BadSignature { .. } | Self::BadTx { .. }
        )
    }
}

/// What [`Node::apply_block`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The block was checked, executed and stored; the state root after it.
    New {
        /// Height.
        height: u64,
        /// State root after the block.
        root: Hash32,
    },
    /// This node already has this exact block (a re-posted batch); nothing changed.
    Known {
        /// Height.
        height: u64,
    },
}

/// The follower part of a node: the sequencer it trusts and the last rejection.
#[derive(Debug)]
pub struct FollowState {
    sequencer: PublicKey,
    last_error: Mutex<Option<String>>,
}

impl FollowState {
    pub(crate) fn validator_info(&self) -> validator::Info {
        validator::Info::new(
            self.sequencer,
            SEQUENCER_POWER.try_into().unwrap_or_default(),
        )
    }

    fn address(&self) -> tendermint::account::Id {
        tendermint::account::Id::from(self.sequencer)
    }
}

/// What a follower answers to a submitted tx.
pub(crate) fn read_only_outcome(hash: tendermint::Hash) -> CheckTxOutcome {
    CheckTxOutcome {
        hash,
        code: READ_ONLY_CODE,
        codespace: READ_ONLY_CODESPACE.into(),
        log: READ_ONLY_LOG.into(),
    }
}

/// The sequencer's public key from a genesis file's `validators` (the single ed25519
/// validator every minitia genesis names).
pub fn sequencer_key(genesis: &super::genesis::GenesisDoc) -> Result<PublicKey, String> {
    use base64::Engine as _;
    let v = match genesis.validators.as_slice() {
        [v] => v,
        [] => return Err("genesis names no validator: a follower needs the sequencer's public key in `validators`".into()),
        vs => return Err(format!("genesis names {} validators; a minitia has exactly one sequencer", vs.len())),
    };
    let kind = v.pub_key.get("type").and_then(|t| t.as_str()).unwrap_or("");
    if kind != "tendermint/PubKeyEd25519" {
        return Err(format!(
            "genesis validator key type is {kind:?}, expected \"tendermint/PubKeyEd25519\""
        ));
    }
    let b64 = v
        .pub_key
        .get("value")
        .and_then(|t| t.as_str())
        .ok_or("genesis validator pub_key has no value")?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| format!("genesis validator pub_key is not base64: {e}"))?;
    let key = PublicKey::from_raw_ed25519(&raw).ok_or_else(|| {
        format!(
            "genesis validator pub_key is not an ed25519 key ({} bytes)",
            raw.len()
        )
    })?;
    let address = tendermint::account::Id::from(key);
    if !v.address.is_empty() && !v.address.eq_ignore_ascii_case(&address.to_string()) {
        return Err(format!(
            "genesis validator address {} does not match its pub_key (address {address})",
            v.address
        ));
    }
    Ok(key)
}

/// Checks that `commit` carries `sequencer`'s valid precommit signature for `block_id` at
/// `commit.height` on `chain_id`, as the producer signs it.
pub fn verify_commit(
    chain_id: &tendermint::chain::Id,
    commit: &Commit,
    block_id: block::Id,
    sequencer: &PublicKey,
) -> Result<(), String> {
    if commit.block_id != block_id {
        return Err(format!(
            "commit is for block {}, not {}",
            commit.block_id.hash, block_id.hash
        ));
    }
    let address = tendermint::account::Id::from(*sequencer);
    let (index, timestamp, signature) = commit
        .signatures
        .iter()
        .enumerate()
        .find_map(|(i, s)| match s {
            CommitSig::BlockIdFlagCommit {
                validator_address,
                timestamp,
                signature,
            } if *validator_address == address => Some((i, *timestamp, signature.clone())),
            _ => None,
        })
        .ok_or_else(|| format!("no commit signature from {address}"))?;
    let signature = signature.ok_or("the signature is empty")?;
    let vote = Vote {
        vote_type: vote::Type::Precommit,
        height: commit.height,
        round: commit.round,
        block_id: Some(block_id),
        timestamp: Some(timestamp),
        validator_address: address,
        validator_index: ValidatorIndex::try_from(index as u32).map_err(|e| e.to_string())?,
        signature: None,
        extension: vec![],
        extension_signature: None,
    };
    let sign_bytes = vote.into_signable_vec(chain_id.clone());
    let key = match sequencer {
        PublicKey::Ed25519(k) => ed25519_consensus::VerificationKey::try_from(k.as_bytes())
            .map_err(|e| format!("sequencer key: {e}"))?,
        _ => return Err("sequencer key is not ed25519".into()),
    };
    let sig = ed25519_consensus::Signature::try_from(signature.as_bytes())
        .map_err(|e| format!("signature: {e}"))?;
    key.verify(&sig, &sign_bytes)
        .map_err(|_| "the signature does not verify".to_string())
}

fn hash_str(h: Option<tendermint::Hash>) -> String {
    h.map_or_else(|| "none".into(), |h| h.to_string())
}

fn id_str(id: Option<block::Id>) -> String {
    id.map_or_else(
        || "none".into(),
        |id| {
            format!(
                "{}:{}/{}",
                id.hash, id.part_set_header.total, id.part_set_header.hash
            )
        },
    )
}

fn check<T: PartialEq + std::fmt::Display>(
    height: u64,
    what: &'static str,
    expected: T,
    got: T,
) -> Result<(), FollowError> {
    if expected == got {
        return Ok(());
    }
    Err(FollowError::Mismatch {
        height,
        what,
        expected: expected.to_string(),
        got: got.to_string(),
    })
}

impl<A: ChainApp> Node<A> {
    /// Opens a follower node: like [`Node::open`], but it only applies blocks signed by
    /// `sequencer` (the genesis validator, see [`sequencer_key`]) and answers every
    /// submitted tx with a read-only error. `opts.validator` is this node's own identity
    /// (shown by `/status`), never used to sign.
    pub fn open_follower(
        app: A,
        opts: NodeOptions,
        sequencer: PublicKey,
    ) -> Result<Arc<Self>, NodeError> {
        Self::open_with(
            app,
            opts,
            Some(FollowState {
                sequencer,
                last_error: Mutex::new(None),
            }),
        )
    }

    /// True for a node opened with [`Node::open_follower`].
    pub fn is_follower(&self) -> bool {
        self.follow.is_some()
    }

    /// The last block this follower rejected as faulty, and why (`None` for a producer or
    /// when nothing was rejected since the last applied block).
    pub fn follow_error(&self) -> Option<String> {
        self.follow
            .as_ref()
            .and_then(|f| lock(&f.last_error).clone())
    }

    /// The block id of `height` as stored (`None` above the tip).
    pub fn block_id(&self, height: u64) -> Result<Option<block::Id>, NodeError> {
        Ok(self.blocks.commit(height)?.map(|c| c.block_id))
    }

    /// Checks `block` against this follower's tip and the sequencer's `commit` on it,
    /// executes it, and stores it exactly as the producer did. See the module docs for the
    /// checks. A block this node already has is [`Applied::Known`] if identical and a
    /// [`FollowError::Mismatch`] if not.
    pub fn apply_block(&self, block: &Block, commit: &Commit) -> Result<Applied, FollowError> {
        let follow = self.follow.as_ref().ok_or(FollowError::NotFollower)?;
        let _guard = lock(&self.produce_lock);
        let r = self.apply_checked(follow, block, commit);
        match &r {
            Err(e) if e.is_fault() => *lock(&follow.last_error) = Some(e.to_string()),
            Ok(Applied::New { .. }) => *lock(&follow.last_error) = None,
            _ => {}
        }
        r
    }

    fn apply_checked(
        &self,
        follow: &FollowState,
        block: &Block,
        commit: &Commit,
    ) -> Result<Applied, FollowError> {
        let h = &block.header;
        let height = h.height.value();
        let tip = read(&self.tip).clone();
        if height <= tip.height && height > 0 {
            let ours = self
                .blocks
                .block(height)?
                .ok_or_else(|| NodeError::Inconsistent(format!("block {height} missing")))?;
            check(
                height,
                "already applied block hash",
                ours.header.hash(),
                h.hash(),
            )?;
            return Ok(Applied::Known { height });
        }
        if height != tip.height + 1 {
            return Err(FollowError::Gap {
                expected: tip.height + 1,
                got: height,
            });
        }
        check(
            height,
            "chain id",
            self.chain_id.as_str(),
            h.chain_id.as_str(),
        )?;
        check(
            height,
            "last_block_id",
            id_str(tip.block_id),
            id_str(h.last_block_id),
        )?;
        check(
            height,
            "proposer",
            follow.address().to_string(),
            h.proposer_address.to_string(),
        )?;
        let vhash = self.validators.hash();
        check(height, "validators_hash", vhash, h.validators_hash)?;
        check(
            height,
            "next_validators_hash",
            vhash,
            h.next_validators_hash,
        )?;
        let consensus = tendermint::Hash::Sha256(
            minitia_core::sha256(self.opts.genesis.consensus_params.to_string().as_bytes()).0,
        );
        check(height, "consensus_hash", consensus, h.consensus_hash)?;
        if h.time <= tip.time {
            return Err(FollowError::Mismatch {
                height,
                what: "time (must be after the previous block's)",
                expected: format!("> {}", tip.time),
                got: h.time.to_string(),
            });
        }
        let tx_hashes: Vec<Hash32> = block.data.iter().map(|r| minitia_core::sha256(r)).collect();
        let data_hash = merkle(&tx_hashes.iter().map(|x| x.0.to_vec()).collect::<Vec<_>>());
        check(
            height,
            "data_hash",
            hash_str(Some(data_hash)),
            hash_str(h.data_hash),
        )?;
        check(
            height,
            "evidence_hash",
            hash_str(Some(merkle(&[]))),
            hash_str(h.evidence_hash),
        )?;
        check(height, "evidence", 0usize, block.evidence.iter().count())?;
        match (tip.block_id, &block.last_commit) {
            (None, None) => check(
                height,
                "last_commit_hash",
                "none".into(),
                hash_str(h.last_commit_hash),
            )?,
            (None, Some(_)) => {
                return Err(FollowError::Mismatch {
                    height,
                    what: "last_commit",
                    expected: "none (first block)".into(),
                    got: "a commit".into(),
                })
            }
            (Some(_), None) => {
                return Err(FollowError::Mismatch {
                    height,
                    what: "last_commit",
                    expected: format!("the commit of block {}", tip.height),
                    got: "none".into(),
                })
            }
            (Some(prev_id), Some(lc)) => {
                check(
                    height,
                    "last_commit_hash",
                    hash_str(Some(commit_hash(lc))),
                    hash_str(h.last_commit_hash),
                )?;
                check(height, "last_commit height", tip.height, lc.height.value())?;
                verify_commit(&h.chain_id, lc, prev_id, &follow.sequencer).map_err(|reason| {
                    FollowError::BadSignature {
                        height,
                        sequencer: follow.address().to_string(),
                        reason: format!("last_commit (of block {}): {reason}", tip.height),
                    }
                })?;
            }
        }
        let expected_results = (tip.height > 0).then_some(tip.results.hash);
        check(
            height,
            "last_results_hash (results of the previous block)",
            hash_str(expected_results),
            hash_str(h.last_results_hash),
        )?;
        let prev_root = self.root_at(tip.height)?;
        check(
            height,
            "app_hash (state root after the previous block)",
            hex::encode_upper(prev_root.0),
            hex::encode_upper(h.app_hash.as_bytes()),
        )?;
        let block_id = block::Id {
            hash: h.hash(),
            part_set_header: part_set_header(block),
        };
        check(height, "commit height", height, commit.height.value())?;
        verify_commit(&h.chain_id, commit, block_id, &follow.sequencer).map_err(|reason| {
            FollowError::BadSignature {
                height,
                sequencer: follow.address().to_string(),
                reason,
            }
        })?;

        let txs = block
            .data
            .iter()
            .enumerate()
            .map(|(index, raw)| {
                self.app.decode_tx(raw).map_err(|e| FollowError::BadTx {
                    height,
                    index,
                    reason: e.message,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let last_hash = tip.block_id.map_or(Hash32::ZERO, |id| {
            Hash32::from_slice(id.hash.as_bytes()).unwrap_or_default()
        });
        let mut ctx = self.block_context(height, h.time, last_hash);
        ctx.proposer = Address::from_slice(h.proposer_address.as_bytes()).unwrap_or_default();
        let view = self.view_at(tip.height)?;
        let out = self
            .app
            .execute_block(&ctx, &view, &txs)
            .map_err(|source| NodeError::Engine { height, source })?;
        let results = BlockResults {
            tx_results: out.tx_results,
            block_events: out.block_events,
        };
        self.blocks.put_block(NewBlock {
            block,
            commit,
            results: &results,
            tx_hashes: &tx_hashes,
            mempool_remove: &[],
        })?;
        let root = write(&self.store)
            .commit_writes(version_of(height), &out.writes)
            .map_err(NodeError::from)?;
        *write(&self.tip) = Tip {
            height,
            block_id: Some(block_id),
            time: h.time,
            results: TipResults::of(&results.tx_results),
        };
        tracing::debug!(height, txs = tx_hashes.len(), %root, "applied block");
        if self.events.receiver_count() > 0 {
            // The block is the caller's; copy it only for subscribers.
            self.publish(block.clone(), results, &tx_hashes, root);
        }
        Ok(Applied::New { height, root })
    }
}
