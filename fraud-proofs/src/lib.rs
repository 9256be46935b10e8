//! Fraud proofs: witness building, stateless re-execution and the challenger.
//!
//! A fraud proof shows that an output the proposer posted on the L1 commits to a chain in
//! which one block's state transition is wrong. The L1 and the challenger judge it with the
//! same pure function, [`verify`]: no IO, no clock, only the proof, the engine and what the
//! L1 knows about the output ([`Anchor`]).
//!
//! # What a proof carries ([`FraudProof`])
//! - **Headers `N ..= M`** (CometBFT, protobuf-encoded), where `N` is the disputed block and
//!   `M` the output's `l2_block_number`. Each header's `last_block_id.hash` must be the hash
//!   of the one before it, so the chain is tied to header `M`, whose hash is the output's
//!   `last_block_hash`.
//! - **The output's `storage_root`** (its withdrawal-tree root), so that the verifier can
//!   recompute OPinit's output root `sha3(1 ‖ storage_root ‖ hash(header M))` and compare it
//!   with the root the L1 stored: the proof is anchored to exactly that output.
//! - **The txs of block `N`**, bound to header `N` by its `data_hash` (CometBFT's merkle root
//!   of the tx hashes).
//! - **A [`Witness`] of the pre-state of block `N`**: every key block `N` reads or writes,
//!   checked against header `N`'s `app_hash`.
//!
//! # The app-hash rule
//! As in CometBFT (and our producer, see `minitia_chain::node`), header `h`'s `app_hash` is
//! the state root *after block `h-1`*. So block `N`'s pre-state root is header `N`'s
//! `app_hash` and the root the chain claims after it is header `N+1`'s. An output at `M`
//! therefore commits to the transitions of blocks `..= M-1`; the transitions an output is the
//! *first* to commit are those of blocks `prev ..= M-1`, where `prev` is the previous
//! output's `l2_block_number` (1 for the first output). A proof against an output must
//! dispute one of those blocks ([`Anchor::first_block`]), so the output it deletes is the
//! first one that is wrong.
//!
//! # Why headers and not block-hash history proofs
//! Every state root commits to past block hashes (`sys/block_hash/`, like EIP-2935), so a
//! membership proof under header `M`'s app hash could replace the header chain. But after a
//! wrong transition at `N` that root is the *proposer's* wrong state, which the challenger
//! does not have and cannot prove anything against. Headers are the only link an honest
//! challenger can always build. They cost ~300 bytes per block between `N` and `M`; a
//! compact form (the 4 merkle siblings of `last_block_id` inside each header, ~170 bytes)
//! is a possible later optimisation.
//!
//! # Verdicts
//! [`verify`] re-executes block `N` with the minitia's own [`ExecutionEngine`] over the
//! witness (a [`StateView`](minitia_core::StateView) that answers only what it proves) and
//! recomputes the root from the engine's writes:
//! - [`Verdict::Fault`]: the proof is sound and the transition is wrong (computed root ≠
//!   claimed root), or block `N` holds a tx the engine cannot decode (our producer never
//!   includes one, so such a block is itself a fault);
//! - [`Verdict::NoFault`]: the proof is sound and the transition is right;
//! - [`Verdict::Invalid`]: the proof proves nothing — not anchored to the output, a broken
//!   header chain, txs not those of the block, a witness that does not match the pre-root or
//!   does not cover a key the execution needs. Never the proposer's fault.
//!
//! # Which engine
//! The L1 must run the same engine with the same parameters as the minitia. The bridge's
//! metadata (set at `MsgCreateBridge`) names them as [`EngineSpec`] (`{"minitia_engine":
//! {"kind": "minitia-evm", "chain_id": .., "chain": <genesis app_state.chain>}}`), and an
//! [`EngineRegistry`] turns a spec into a verifier. The production registry of the minitia
//! kinds is `minitia_engines::registry` (a crate above the engines); [`EngineSet`] builds
//! registries of other kinds from closures (tests judge a bank-only `cosmos` kind with it).
//!
//! # For the challenger
//! [`build_proof`] executes block `N` over the challenger's own store at `N`'s pre-state
//! version, records every key read, and takes the witness of reads ∪ writes.

#[cfg(feature = "prover")]
mod build;
mod engines;
mod proof;
mod verify;

#[cfg(feature = "prover")]
pub use build::{build_proof, BuildError, BuiltProof, RecordingView};
pub use engines::{
    EngineMaker, EngineRegistry, EngineSet, EngineSpec, EngineVerifier, ProofVerifier,
    RegistryError, METADATA_KEY,
};
pub use minitia_store::{Witness, WitnessError};
pub use proof::{FraudProof, ProofDecodeError, MAX_PROOF_BYTES, PROOF_VERSION};
pub use verify::{block_context, verify, verify_bytes, Anchor, Fault, ProofError, Verdict};
