//! The verifier against real blocks of a real minitia node (Cosmos module set, cosmrs-signed
//! bank transfers): honest blocks are judged fault-free, a sequencer's wrong transition is
//! proven, and every kind of forged proof is rejected with its precise reason.

mod common;

use common::{Chain, Challenger, CHAIN_ID};
use minitia_core::{opinit::output_root, Hash32};
use minitia_fraud_proofs::{
    build_proof, verify, verify_bytes, Anchor, BuiltProof, EngineRegistry, EngineSpec, Fault,
    FraudProof, ProofDecodeError, ProofError, Verdict, Witness, WitnessError,
};
use tendermint::block::Header;

const STORAGE_ROOT: Hash32 = Hash32([7; 32]);

fn hash(h: &Header) -> Hash32 {
    Hash32::from_slice(h.hash().as_bytes()).unwrap()
}

/// The anchor of an output at `headers.last()` built with [`STORAGE_ROOT`].
fn anchor_for(headers: &[Header], first_block: u64) -> Anchor {
    let last = headers.last().unwrap();
    Anchor {
        chain_id: CHAIN_ID.into(),
        output_root: output_root(1, &STORAGE_ROOT, &hash(last)),
        l2_block_number: last.height.value(),
        first_block,
    }
}

/// A chain of `blocks` blocks with `per_block` transfers each, wrong at `evil_at`.
fn chain(evil_at: Option<u64>, blocks: u64, per_block: usize) -> Chain {
    let c = Chain::new(evil_at);
    for _ in 0..blocks {
        c.transfers(per_block);
        c.produce();
    }
    c
}

fn proof_at(c: &Chain, ch: &Challenger, n: u64, m: u64) -> BuiltProof {
    build_proof(&ch.app, &ch.store, c.headers(n, m), c.txs(n), STORAGE_ROOT).unwrap()
}

#[test]
fn honest_blocks_show_no_fault() {
    let c = chain(None, 4, 20);
    let (ch, bad) = Challenger::replay(&c, 4);
    assert_eq!(bad, None);
    for n in 1..=3 {
        let built = proof_at(&c, &ch, n, 4);
        assert!(!built.is_fault());
        let anchor = anchor_for(&built.proof.headers, 1);
        assert_eq!(verify(&built.proof, &ch.app, &anchor), Verdict::NoFault);
        let bytes = built.proof.encode();
        assert_eq!(FraudProof::decode(&bytes).unwrap(), built.proof);
        assert_eq!(verify_bytes(&bytes, &ch.app, &anchor), Verdict::NoFault);
        let s = built.proof.witness.stats();
        println!(
            "block {n}: {} txs, {} headers, proof {} bytes (witness {} bytes: {} leaves, {} stubs, {} hashes)",
            built.proof.txs.len(),
            built.proof.headers.len(),
            bytes.len(),
            built.proof.witness.encode().len(),
            s.leaves,
            s.stubs,
            s.hashes
        );
    }
}

#[test]
fn a_tampered_post_root_is_proven() {
    let c = chain(None, 2, 10);
    let (ch, _) = Challenger::replay(&c, 2);
    let mut headers = c.headers(1, 2);
    let mut claimed = headers[1].app_hash.as_bytes().to_vec();
    claimed[0] ^= 0xff;
    headers[1].app_hash = claimed.clone().try_into().unwrap();
    let built = build_proof(&ch.app, &ch.store, headers, c.txs(1), STORAGE_ROOT).unwrap();
    assert!(built.is_fault());
    let anchor = anchor_for(&built.proof.headers, 1);
    match verify(&built.proof, &ch.app, &anchor) {
        Verdict::Fault(Fault::StateRoot {
            height: 1,
            computed,
            claimed: got,
        }) => {
            assert_eq!(got.0.to_vec(), claimed);
            assert_eq!(computed, ch.store.root_of(2).unwrap());
        }
        v => panic!("{v:?}"),
    }
}

/// A sequencer that credits itself at block 3 of 6; the output is at 6.
struct Faulty {
    c: Chain,
    ch: Challenger,
    built: BuiltProof,
    anchor: Anchor,
}

fn faulty() -> Faulty {
    let c = chain(Some(3), 6, 12);
    let (ch, bad) = Challenger::replay(&c, 6);
    assert_eq!(bad, Some(3), "the challenger finds the wrong block");
    let built = proof_at(&c, &ch, 3, 6);
    assert!(built.is_fault());
    let anchor = anchor_for(&built.proof.headers, 2);
    Faulty {
        c,
        ch,
        built,
        anchor,
    }
}

fn invalid(v: Verdict) -> ProofError {
    match v {
        Verdict::Invalid(e) => e,
        v => panic!("expected an invalid proof, got {v:?}"),
    }
}

#[test]
fn a_wrong_transition_is_proven_and_forgeries_are_rejected() {
    let Faulty {
        c,
        ch,
        built,
        anchor,
    } = faulty();
    let app = &ch.app;
    let proof = &built.proof;
    match verify(proof, app, &anchor) {
        Verdict::Fault(Fault::StateRoot {
            height: 3,
            computed,
            claimed,
        }) => {
            assert_eq!(computed, ch.store.root_of(4).unwrap());
            assert_eq!(claimed.0, c.header(4).app_hash.as_bytes());
        }
        v => panic!("{v:?}"),
    }
    // The L1's registry judges it the same.
    let spec = common::spec();
    let spec = EngineSpec::from_bridge_metadata(&spec.to_bridge_metadata()).unwrap();
    let v = common::engines().verifier(&spec).unwrap();
    assert!(matches!(v.verify(proof, &anchor), Verdict::Fault(_)));

    // Witness of the wrong pre-state (after block 3 instead of 2).
    let mut p = proof.clone();
    let keys: Vec<Vec<u8>> = p.witness.leaves().iter().map(|(k, _)| k.to_vec()).collect();
    p.witness = ch
        .store
        .witness(4, keys.iter().map(Vec::as_slice), [])
        .unwrap();
    assert!(matches!(
        invalid(verify(&p, app, &anchor)),
        ProofError::WitnessRoot {
            height: 3,
            source: WitnessError::RootMismatch { .. }
        }
    ));

    // A wrong sibling hash (last hash node of the encoding flipped).
    let mut bytes = proof.witness.encode();
    let at = bytes.iter().rposition(|b| *b == 3).unwrap();
    bytes[at + 1] ^= 0x01;
    if let Ok(w) = Witness::decode(&bytes) {
        let mut p = proof.clone();
        p.witness = w;
        assert!(matches!(
            invalid(verify(&p, app, &anchor)),
            ProofError::WitnessRoot { .. }
        ));
    }

    // A missing key: the witness without the fee collector's balance.
    let fee_collector = minitia_chain::app::auth::module_address("fee_collector");
    let fc_key = minitia_chain::app::bank::balance_key(&fee_collector, common::DENOM);
    assert!(
        keys.contains(&fc_key),
        "blocks with fees touch the fee collector"
    );
    let mut p = proof.clone();
    p.witness = ch
        .store
        .witness(
            3,
            keys.iter().filter(|k| **k != fc_key).map(Vec::as_slice),
            [],
        )
        .unwrap();
    match invalid(verify(&p, app, &anchor)) {
        ProofError::WitnessIncomplete { height: 3, reason } => {
            assert!(reason.contains(&hex::encode(&fc_key)), "{reason}")
        }
        e => panic!("{e}"),
    }

    // Extra keys the block never touches are harmless: still proven.
    let mut p = proof.clone();
    p.witness = ch
        .store
        .witness(
            3,
            keys.iter().map(Vec::as_slice).chain([
                b"unrelated/1".as_slice(),
                b"sys/block_hash/\0\0\0\0\0\0\0\x01",
            ]),
            [],
        )
        .unwrap();
    assert!(matches!(verify(&p, app, &anchor), Verdict::Fault(_)));

    // An injected key that is not in the pre-state: the root moves.
    {
        let dir = tempfile::tempdir().unwrap();
        let mut other =
            minitia_store::Store::open(dir.path().join("o.redb"), Default::default()).unwrap();
        let mut ws = minitia_core::WriteSet::new();
        for (k, v) in proof.witness.leaves() {
            ws.put(k.to_vec(), v.to_vec());
        }
        ws.put(b"injected".to_vec(), b"1".to_vec());
        other.commit_writes(1, &ws).unwrap();
        let mut p = proof.clone();
        p.witness = other
            .witness(1, keys.iter().map(Vec::as_slice), [])
            .unwrap();
        assert!(matches!(
            invalid(verify(&p, app, &anchor)),
            ProofError::WitnessRoot { .. }
        ));
    }

    // Txs that are not the block's: one dropped.
    let mut p = proof.clone();
    p.txs.pop();
    assert!(matches!(
        invalid(verify(&p, app, &anchor)),
        ProofError::DataHash { height: 3, .. }
    ));

    // A gap in the header chain.
    let mut p = proof.clone();
    p.headers.remove(2);
    assert!(matches!(
        invalid(verify(&p, app, &anchor)),
        ProofError::HeightGap { index: 2, .. }
    ));

    // A rewritten header in the middle breaks the link to its child.
    let mut p = proof.clone();
    p.headers[2].time = (p.headers[2].time + std::time::Duration::from_secs(1)).unwrap();
    assert!(matches!(
        invalid(verify(&p, app, &anchor)),
        ProofError::BrokenLink { height: 6, .. }
    ));

    // Not the output's storage root, or not the output's block.
    let mut p = proof.clone();
    p.storage_root = Hash32([8; 32]);
    assert!(matches!(
        invalid(verify(&p, app, &anchor)),
        ProofError::OutputRoot { .. }
    ));
    let mut p = proof.clone();
    p.headers.pop();
    assert!(matches!(
        invalid(verify(&p, app, &anchor)),
        ProofError::LastHeight {
            expected: 6,
            got: 5
        }
    ));

    // A block the previous output already commits.
    let later = Anchor {
        first_block: 4,
        ..anchor.clone()
    };
    assert!(matches!(
        invalid(verify(proof, app, &later)),
        ProofError::OutsideOutput {
            height: 3,
            first: 4,
            last: 5
        }
    ));

    // Another chain's engine.
    let other = Anchor {
        chain_id: "someone-else-1".into(),
        ..anchor.clone()
    };
    assert!(matches!(
        invalid(verify(proof, app, &other)),
        ProofError::ChainId { .. }
    ));

    // Non-canonical bytes: a trailing unknown field.
    let mut bytes = proof.encode();
    bytes.extend_from_slice(&[0x30, 0x01]);
    assert_eq!(
        invalid(verify_bytes(&bytes, app, &anchor)),
        ProofError::Decode(ProofDecodeError::NonCanonical)
    );

    // The honest block before the fault: no fault.
    let honest = proof_at(&c, &ch, 2, 6);
    assert_eq!(
        verify(&honest.proof, app, &anchor_for(&honest.proof.headers, 2)),
        Verdict::NoFault
    );
}

#[test]
fn an_undecodable_tx_in_a_block_is_a_fault() {
    let c = chain(None, 2, 3);
    let (ch, _) = Challenger::replay(&c, 2);
    // Header 1 with a garbage tx: the data hash and the link to header 2 are redone, as a
    // sequencer that included it would have produced them.
    let mut headers = c.headers(1, 2);
    let txs = vec![b"garbage".to_vec()];
    let leaves = vec![minitia_core::sha256(&txs[0]).0.to_vec()];
    headers[0].data_hash = Some(tendermint::Hash::Sha256(
        tendermint::merkle::simple_hash_from_byte_vectors::<tendermint::crypto::default::Sha256>(
            &leaves,
        ),
    ));
    let mut id = headers[1].last_block_id.unwrap();
    id.hash = headers[0].hash();
    headers[1].last_block_id = Some(id);
    let built = build_proof(&ch.app, &ch.store, headers, txs, STORAGE_ROOT).unwrap();
    let anchor = anchor_for(&built.proof.headers, 1);
    assert!(matches!(
        verify(&built.proof, &ch.app, &anchor),
        Verdict::Fault(Fault::UndecodableTx {
            height: 1,
            index: 0,
            ..
        })
    ));
}
