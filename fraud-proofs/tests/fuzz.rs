//! Bounded fuzzing of proof decoding and verification (proptest, runs in CI): arbitrary bytes
//! never panic, and no mutation of a proof of a correct block ever yields a fault — the
//! soundness property the L1 relies on before it slashes a proposer.

mod common;

use std::sync::OnceLock;

use common::{Chain, Challenger, CHAIN_ID};
use minitia_core::{opinit::output_root, Hash32};
use minitia_fraud_proofs::{build_proof, verify_bytes, Anchor, FraudProof, Verdict, Witness};
use proptest::prelude::*;

/// An honest proof (block 1 of 2, five transfers) and its anchor.
fn honest() -> &'static (Vec<u8>, Anchor) {
    static P: OnceLock<(Vec<u8>, Anchor)> = OnceLock::new();
    P.get_or_init(|| {
        let c = Chain::new(None);
        for _ in 0..2 {
            c.transfers(5);
            c.produce();
        }
        let (ch, _) = Challenger::replay(&c, 2);
        let storage_root = Hash32([3; 32]);
        let built =
            build_proof(&ch.app, &ch.store, c.headers(1, 2), c.txs(1), storage_root).unwrap();
        let last = Hash32::from_slice(c.header(2).hash().as_bytes()).unwrap();
        let anchor = Anchor {
            chain_id: CHAIN_ID.into(),
            output_root: output_root(1, &storage_root, &last),
            l2_block_number: 2,
            first_block: 1,
        };
        let bytes = built.proof.encode();
        assert_eq!(
            verify_bytes(&bytes, &common::honest_app(), &anchor),
            Verdict::NoFault
        );
        (bytes, anchor)
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, u8),
    Remove(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, x)| Mutation::Flip(i, x)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Remove),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let n = bytes.len();
    match *m {
        Mutation::Flip(i, x) => bytes[i % n] ^= x,
        Mutation::Truncate(i) => bytes.truncate(i % n),
        Mutation::Insert(i, b) => bytes.insert(i % (n + 1), b),
        Mutation::Remove(i) => {
            bytes.remove(i % n);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mutated_honest_proofs_never_prove_a_fault(ms in prop::collection::vec(mutation(), 1..4)) {
        let (bytes, anchor) = honest();
        let mut b = bytes.clone();
        for m in &ms {
            if b.is_empty() {
                break;
            }
            apply(&mut b, m);
        }
        prop_assume!(b != *bytes);
        let v = verify_bytes(&b, &common::honest_app(), anchor);
        prop_assert!(!matches!(v, Verdict::Fault(_)), "{ms:?} gave {v:?}");
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = FraudProof::decode(&b);
        let _ = Witness::decode(&b);
        let mut w = vec![1u8];
        w.extend_from_slice(&b);
        let _ = Witness::decode(&w);
    }
}
