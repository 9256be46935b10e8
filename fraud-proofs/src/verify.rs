//! The verifier: a pure function of the proof, the engine and the anchor.

use minitia_core::{
    opinit::{output_root, OUTPUT_VERSION},
    Address, BlockContext, ChainId, EngineError, ExecutionEngine, Hash32, Height, StateError,
};
use minitia_store::WitnessError;
use tendermint::{block::Header, crypto::default::Sha256, merkle::simple_hash_from_byte_vectors};

use crate::proof::{FraudProof, ProofDecodeError};

/// What the L1 knows about the challenged output and the minitia.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// The minitia's chain id (from its registered [`EngineSpec`](crate::EngineSpec)).
    pub chain_id: String,
    /// The output root the L1 stored.
    pub output_root: Hash32,
    /// The output's `l2_block_number` (`M`).
    pub l2_block_number: u64,
    /// The first block whose transition this output is the first to commit: the previous
    /// output's `l2_block_number`, or 1 for the first output.
    pub first_block: u64,
}

/// A proven fault of block `height`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Executing the block over its pre-state gives another root than the chain claims.
    StateRoot {
        /// The disputed block.
        height: u64,
        /// Root the re-execution gives.
        computed: Hash32,
        /// Root header `height + 1` claims.
        claimed: Hash32,
    },
    /// The block holds a tx the engine cannot decode, which an honest producer never
    /// includes.
    UndecodableTx {
        /// The disputed block.
        height: u64,
        /// Position of the tx.
        index: usize,
        /// Decoder error.
        reason: String,
    },
}

/// Why a proof proves nothing. Every variant is the challenger's fault, never the proposer's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The bytes are not a proof.
    #[error(transparent)]
    Decode(#[from] ProofDecodeError),
    /// Fewer than the two headers `N` and `N+1`.
    #[error("a fraud proof needs at least the headers of blocks N and N+1, got {0}")]
    TooFewHeaders(usize),
    /// A header of another chain.
    #[error("header at height {height} is for chain {got:?}, the minitia is {expected:?}")]
    ChainId {
        /// Height of the header.
        height: u64,
        /// The minitia's chain id.
        expected: String,
        /// The header's.
        got: String,
    },
    /// Headers not at consecutive heights.
    #[error("header {index} has height {got}, expected {expected}")]
    HeightGap {
        /// Position in the proof.
        index: usize,
        /// Height it should have.
        expected: u64,
        /// Height it has.
        got: u64,
    },
    /// A header that does not name the one before it as its parent.
    #[error("header {height} does not link to the header before it (last_block_id {got} != hash {expected})")]
    BrokenLink {
        /// Height of the child.
        height: u64,
        /// Hash of the parent given.
        expected: Hash32,
        /// Parent hash the child names.
        got: Hash32,
    },
    /// The last header is not the output's block.
    #[error("the proof's last header is at height {got}, the output is at l2 block {expected}")]
    LastHeight {
        /// The output's `l2_block_number`.
        expected: u64,
        /// Height of the last header.
        got: u64,
    },
    /// `sha3(1 ‖ storage_root ‖ hash(M))` is not the output's root.
    #[error("the proof is not anchored to the output: its header chain and storage root give output root {got}, the L1 holds {expected}")]
    OutputRoot {
        /// The stored output root.
        expected: Hash32,
        /// What the proof gives.
        got: Hash32,
    },
    /// The disputed block's transition is not one this output is the first to commit.
    #[error("block {height} is outside this output's blocks {first}..={last}; challenge the output that first commits it")]
    OutsideOutput {
        /// The disputed height.
        height: u64,
        /// First disputable height.
        first: u64,
        /// Last disputable height (`M - 1`).
        last: u64,
    },
    /// The txs are not those of block `N`.
    #[error("the proof's {count} txs do not hash to block {height}'s data_hash")]
    DataHash {
        /// The disputed height.
        height: u64,
        /// Txs given.
        count: usize,
    },
    /// The witness does not match block `N`'s pre-state root.
    #[error("the witness does not match block {height}'s pre-state root: {source}")]
    WitnessRoot {
        /// The disputed height.
        height: u64,
        /// Details.
        source: WitnessError,
    },
    /// Re-execution read a key the witness does not cover.
    #[error("the witness does not cover a key block {height} reads: {reason}")]
    WitnessIncomplete {
        /// The disputed height.
        height: u64,
        /// Which key.
        reason: String,
    },
    /// The block's writes cannot be applied to the witness.
    #[error("the witness cannot apply block {height}'s writes: {source}")]
    WitnessWrites {
        /// The disputed height.
        height: u64,
        /// Details.
        source: WitnessError,
    },
    /// A header field the engine needs is malformed.
    #[error("header {height} cannot be executed: {reason}")]
    Header {
        /// Height.
        height: u64,
        /// What is wrong.
        reason: String,
    },
    /// The engine aborted the block (an engine invariant): not provably the proposer's fault.
    #[error("the engine aborted block {height}: {reason}")]
    Engine {
        /// The disputed height.
        height: u64,
        /// Engine error.
        reason: String,
    },
}

/// The outcome of judging a proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The output commits to a wrong transition.
    Fault(Fault),
    /// The proof is sound and the transition is right.
    NoFault,
    /// The proof proves nothing.
    Invalid(ProofError),
}

fn hash32(h: tendermint::Hash) -> Hash32 {
    Hash32::from_slice(h.as_bytes()).unwrap_or_default()
}

fn header_hash(h: &Header) -> Hash32 {
    hash32(h.hash())
}

/// The context block `header` executes in, exactly as the producer and replay derive it.
pub fn block_context(header: &Header) -> Result<BlockContext, String> {
    Ok(BlockContext {
        chain_id: ChainId::new(header.chain_id.as_str()).map_err(|e| e.to_string())?,
        height: Height(header.height.value()),
        time_unix_nanos: header.time.unix_timestamp_nanos(),
        proposer: Address::from_slice(header.proposer_address.as_bytes()).unwrap_or_default(),
        max_gas: 0,
        last_block_hash: header
            .last_block_id
            .map_or(Hash32::ZERO, |id| hash32(id.hash)),
    })
}

/// CometBFT's `data_hash` of a block's txs: the simple merkle root of their SHA-256 hashes.
fn data_hash(txs: &[Vec<u8>]) -> Hash32 {
    let leaves: Vec<Vec<u8>> = txs
        .iter()
        .map(|t| minitia_core::sha256(t).0.to_vec())
        .collect();
    Hash32(simple_hash_from_byte_vectors::<Sha256>(&leaves))
}

/// Checks that the proof is anchored to the output: the header chain, the output root, the
/// block range, the txs and the pre-state witness.
fn check_anchor(proof: &FraudProof, anchor: &Anchor) -> Result<(), ProofError> {
    let headers = &proof.headers;
    if headers.len() < 2 {
        return Err(ProofError::TooFewHeaders(headers.len()));
    }
    let n = headers[0].height.value();
    for (i, h) in headers.iter().enumerate() {
        if h.chain_id.as_str() != anchor.chain_id {
            return Err(ProofError::ChainId {
                height: h.height.value(),
                expected: anchor.chain_id.clone(),
                got: h.chain_id.to_string(),
            });
        }
        let expected = n + i as u64;
        if h.height.value() != expected {
            return Err(ProofError::HeightGap {
                index: i,
                expected,
                got: h.height.value(),
            });
        }
    }
    for pair in headers.windows(2) {
        let parent = header_hash(&pair[0]);
        let named = pair[1]
            .last_block_id
            .map_or(Hash32::ZERO, |id| hash32(id.hash));
        if named != parent {
            return Err(ProofError::BrokenLink {
                height: pair[1].height.value(),
                expected: parent,
                got: named,
            });
        }
    }
    let last = &headers[headers.len() - 1];
    if last.height.value() != anchor.l2_block_number {
        return Err(ProofError::LastHeight {
            expected: anchor.l2_block_number,
            got: last.height.value(),
        });
    }
    let got = output_root(OUTPUT_VERSION, &proof.storage_root, &header_hash(last));
    if got != anchor.output_root {
        return Err(ProofError::OutputRoot {
            expected: anchor.output_root,
            got,
        });
    }
    let first = anchor.first_block.max(1);
    let last_disputable = anchor.l2_block_number.saturating_sub(1);
    if n < first || n > last_disputable {
        return Err(ProofError::OutsideOutput {
            height: n,
            first,
            last: last_disputable,
        });
    }
    let claimed_data = headers[0].data_hash.map_or(Hash32::ZERO, hash32);
    if data_hash(&proof.txs) != claimed_data {
        return Err(ProofError::DataHash {
            height: n,
            count: proof.txs.len(),
        });
    }
    let pre_root = hash32_app(&headers[0]);
    proof
        .witness
        .verify(&pre_root)
        .map_err(|source| ProofError::WitnessRoot { height: n, source })
}

fn hash32_app(h: &Header) -> Hash32 {
    Hash32::from_slice(h.app_hash.as_bytes()).unwrap_or_default()
}

/// Judges `proof` against the output described by `anchor`, re-executing block `N` with
/// `engine` over the proof's witness. Pure: no IO, no clock, deterministic.
pub fn verify<E: ExecutionEngine>(proof: &FraudProof, engine: &E, anchor: &Anchor) -> Verdict {
    if let Err(e) = check_anchor(proof, anchor) {
        return Verdict::Invalid(e);
    }
    let header = &proof.headers[0];
    let height = header.height.value();
    let mut txs = Vec::with_capacity(proof.txs.len());
    for (index, raw) in proof.txs.iter().enumerate() {
        match engine.decode_tx(raw) {
            Ok(t) => txs.push(t),
            Err(e) => {
                return Verdict::Fault(Fault::UndecodableTx {
                    height,
                    index,
                    reason: e.message,
                })
            }
        }
    }
    let ctx = match block_context(header) {
        Ok(c) => c,
        Err(reason) => return Verdict::Invalid(ProofError::Header { height, reason }),
    };
    let out = match engine.execute_block(&ctx, &proof.witness, &txs) {
        Ok(o) => o,
        Err(EngineError::State(StateError::MissingWitness(key))) => {
            return Verdict::Invalid(ProofError::WitnessIncomplete {
                height,
                reason: format!("key 0x{key}"),
            })
        }
        Err(e) => {
            return Verdict::Invalid(ProofError::Engine {
                height,
                reason: e.to_string(),
            })
        }
    };
    let computed = match proof.witness.clone().apply(&out.writes) {
        Ok(r) => r,
        Err(source) => return Verdict::Invalid(ProofError::WitnessWrites { height, source }),
    };
    let claimed = hash32_app(&proof.headers[1]);
    if computed == claimed {
        Verdict::NoFault
    } else {
        Verdict::Fault(Fault::StateRoot {
            height,
            computed,
            claimed,
        })
    }
}

/// [`verify`] on encoded proof bytes; undecodable bytes are [`Verdict::Invalid`].
pub fn verify_bytes<E: ExecutionEngine>(bytes: &[u8], engine: &E, anchor: &Anchor) -> Verdict {
    match FraudProof::decode(bytes) {
        Ok(p) => verify(&p, engine, anchor),
        Err(e) => Verdict::Invalid(ProofError::Decode(e)),
    }
}
