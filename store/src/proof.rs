//! ICS-23 proofs over the tree, for `ics23::smt_spec()`.
//!
//! An existence proof is the leaf op of the spec plus one inner op per inner node between the
//! leaf and the root, leaf first. ICS-23 computes `sha256(prefix ‖ child ‖ suffix)` per op, so
//! a node that is a left child gets `prefix = 0x01, suffix = right sibling` and a right child
//! gets `prefix = 0x01 ‖ left sibling, suffix = ∅` (the same construction as
//! `penumbra-zone/jmt`'s `src/tree/ics23_impl.rs`, with the SMT's one-byte domain prefixes
//! instead of JMT's). An empty sibling is 32 zero bytes, which is what lets ICS-23's
//! `ensure_left_most`/`ensure_right_most` (cosmos/ics23 `rust/src/verify.rs`) accept a
//! neighbour whose path passes empty children, and `ensure_left_neighbor` accept two
//! neighbours: their paths share every step above the node where they part, and below it one
//! is rightmost and the other leftmost, because leaves are laid out in key-hash order.
//!
//! A non-existence proof carries the existence proofs of the neighbours of `sha256(key)` in
//! key-hash order (`prehash_key_before_comparison`); at the edges one side is absent. The
//! empty tree (root = 32 zero bytes) has no leaf to prove anything against: ICS-23 rejects a
//! non-existence proof without neighbours, so a verifier must treat the zero root as "every
//! key absent" itself.

use ics23::commitment_proof::Proof;
use ics23::{
    CommitmentProof, ExistenceProof, HashOp, HostFunctionsManager, InnerOp, LeafOp, LengthOp,
    NonExistenceProof, ProofSpec,
};
use minitia_core::Hash32;

use crate::tree::{Step, Walk};

/// The proof spec every proof of this store verifies under: ICS-23's `smt_spec()`.
pub fn proof_spec() -> ProofSpec {
    ics23::smt_spec()
}

/// The leaf op of `smt_spec()`: sha256(0x00 ‖ sha256(key) ‖ sha256(value)).
fn leaf_op() -> LeafOp {
    LeafOp {
        hash: HashOp::Sha256.into(),
        prehash_key: HashOp::Sha256.into(),
        prehash_value: HashOp::Sha256.into(),
        length: LengthOp::NoPrefix.into(),
        prefix: vec![0x00],
    }
}

/// Inner ops from the leaf up to the root for the path `steps` (given root first).
fn inner_ops(steps: &[Step]) -> Vec<InnerOp> {
    steps
        .iter()
        .rev()
        .map(|s| {
            let (prefix, suffix) = if s.went_right {
                let mut prefix = Vec::with_capacity(33);
                prefix.push(0x01);
                prefix.extend_from_slice(&s.sibling);
                (prefix, Vec::new())
            } else {
                (vec![0x01], s.sibling.to_vec())
            };
            InnerOp {
                hash: HashOp::Sha256.into(),
                prefix,
                suffix,
            }
        })
        .collect()
}

/// The existence proof of `key = value` whose leaf is at the end of `walk`.
pub(crate) fn existence(key: Vec<u8>, value: Vec<u8>, walk: &Walk<'_>) -> ExistenceProof {
    ExistenceProof {
        key,
        value,
        leaf: Some(leaf_op()),
        path: inner_ops(&walk.steps),
    }
}

/// Wraps an existence proof.
pub(crate) fn exist(p: ExistenceProof) -> CommitmentProof {
    CommitmentProof {
        proof: Some(Proof::Exist(p)),
    }
}

/// Wraps a non-existence proof.
pub(crate) fn nonexist(
    key: Vec<u8>,
    left: Option<ExistenceProof>,
    right: Option<ExistenceProof>,
) -> CommitmentProof {
    CommitmentProof {
        proof: Some(Proof::Nonexist(NonExistenceProof { key, left, right })),
    }
}

/// Checks that `proof` shows `key = value` under `root` (ICS-23 `verify_membership`).
pub fn verify_membership(proof: &CommitmentProof, root: &Hash32, key: &[u8], value: &[u8]) -> bool {
    ics23::verify_membership::<HostFunctionsManager>(
        proof,
        &proof_spec(),
        &root.0.to_vec(),
        key,
        value,
    )
}

/// Checks that `proof` shows `key` absent under `root` (ICS-23 `verify_non_membership`).
/// Always false for the empty root; see the module docs.
pub fn verify_non_membership(proof: &CommitmentProof, root: &Hash32, key: &[u8]) -> bool {
    ics23::verify_non_membership::<HostFunctionsManager>(
        proof,
        &proof_spec(),
        &root.0.to_vec(),
        key,
    )
}
