//! ICS-23 proofs produced by the store, checked with the `ics23` crate and `smt_spec()`.

mod common;

use common::{open, verifies_absent, verifies_member, writes};
use minitia_core::state::{StateProver, StateStore, WriteSet};
use minitia_core::{sha256, StateError};
use minitia_store::ics23::commitment_proof::Proof;
use minitia_store::ics23::CommitmentProof;
use minitia_store::{Store, StoreConfig};

fn numbered(n: u32) -> WriteSet {
    let mut ws = WriteSet::new();
    for i in 0..n {
        ws.put(
            format!("key{i}").into_bytes(),
            format!("value{i}").into_bytes(),
        );
    }
    ws
}

fn nonexist(p: &CommitmentProof) -> &minitia_store::ics23::NonExistenceProof {
    match &p.proof {
        Some(Proof::Nonexist(n)) => n,
        other => panic!("expected a non-existence proof, got {other:?}"),
    }
}

#[test]
fn membership_and_non_membership_verify_against_root() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let root = store.commit_writes(1, &numbered(300)).unwrap();
    assert_eq!(store.root_at(1).unwrap(), root);
    for i in 0..300 {
        let key = format!("key{i}").into_bytes();
        let (value, proof) = store.prove(1, &key).unwrap();
        let value = value.expect("present");
        assert_eq!(value, format!("value{i}").into_bytes());
        assert!(matches!(proof.proof, Some(Proof::Exist(_))));
        assert!(verifies_member(&proof, &root, &key, &value));
        assert!(!verifies_absent(&proof, &root, &key));
    }
    for i in 0..300 {
        let key = format!("absent{i}").into_bytes();
        let (value, proof) = store.prove(1, &key).unwrap();
        assert_eq!(value, None);
        assert!(verifies_absent(&proof, &root, &key), "absent{i}");
        assert!(!verifies_member(&proof, &root, &key, b"x"));
    }
}

/// Finds an absent key whose hash is below (or above) every present key hash.
fn edge_probe(present: &[Vec<u8>], below: bool) -> Vec<u8> {
    let hashes: Vec<_> = present.iter().map(|k| sha256(k)).collect();
    let (min, max) = (hashes.iter().min().unwrap(), hashes.iter().max().unwrap());
    (0..100_000)
        .map(|i| format!("probe{i}").into_bytes())
        .find(|k| {
            let h = sha256(k);
            if below {
                h < *min
            } else {
                h > *max
            }
        })
        .expect("a probe beyond the edge")
}

#[test]
fn non_membership_at_the_edges() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let keys: Vec<Vec<u8>> = (0..16).map(|i| format!("key{i}").into_bytes()).collect();
    let root = store.commit_writes(1, &numbered(16)).unwrap();

    let low = edge_probe(&keys, true);
    let (_, proof) = store.prove(1, &low).unwrap();
    let n = nonexist(&proof);
    assert!(n.left.is_none() && n.right.is_some());
    assert!(verifies_absent(&proof, &root, &low));

    let high = edge_probe(&keys, false);
    let (_, proof) = store.prove(1, &high).unwrap();
    let n = nonexist(&proof);
    assert!(n.left.is_some() && n.right.is_none());
    assert!(verifies_absent(&proof, &root, &high));

    // A one-sided proof for a key in the middle must not pass: dropping the left neighbour
    // of a middle key leaves a right neighbour that is not leftmost.
    let (_, proof) = store.prove(1, b"middle?").unwrap();
    let mut n = nonexist(&proof).clone();
    assert!(n.left.is_some() && n.right.is_some());
    assert!(verifies_absent(&proof, &root, b"middle?"));
    n.left = None;
    let forged = CommitmentProof {
        proof: Some(Proof::Nonexist(n)),
    };
    assert!(!verifies_absent(&forged, &root, b"middle?"));
}

#[test]
fn single_leaf_tree_proves_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let root = store
        .commit_writes(1, &writes(&[(b"only", Some(b"v"))]))
        .unwrap();
    let (v, proof) = store.prove(1, b"only").unwrap();
    match &proof.proof {
        Some(Proof::Exist(e)) => assert!(e.path.is_empty(), "a lone leaf is the root"),
        other => panic!("{other:?}"),
    }
    assert!(verifies_member(&proof, &root, b"only", &v.unwrap()));
    for probe in [b"a".as_slice(), b"b", b"c", b"d"] {
        let (v, proof) = store.prove(1, probe).unwrap();
        assert_eq!(v, None);
        assert!(verifies_absent(&proof, &root, probe));
    }
}

#[test]
fn forged_proofs_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let root1 = store.commit_writes(1, &numbered(64)).unwrap();
    let root2 = store
        .commit_writes(2, &writes(&[(b"key7", Some(b"changed"))]))
        .unwrap();

    let (value, proof) = store.prove(2, b"key7").unwrap();
    let value = value.unwrap();
    assert!(verifies_member(&proof, &root2, b"key7", &value));
    // Wrong value, wrong key, wrong root (the previous version).
    assert!(!verifies_member(&proof, &root2, b"key7", b"value7"));
    assert!(!verifies_member(&proof, &root2, b"key8", &value));
    assert!(!verifies_member(&proof, &root1, b"key7", &value));
    // A flipped bit in a sibling hash.
    let mut forged = proof.clone();
    if let Some(Proof::Exist(e)) = &mut forged.proof {
        let step = e.path.first_mut().expect("64 keys give a non-empty path");
        let bytes = if step.suffix.is_empty() {
            &mut step.prefix
        } else {
            &mut step.suffix
        };
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
    }
    assert!(!verifies_member(&forged, &root2, b"key7", &value));
    // The old value's proof from version 1 does not verify against version 2.
    let (old, old_proof) = store.prove(1, b"key7").unwrap();
    assert_eq!(old.as_deref(), Some(b"value7".as_slice()));
    assert!(verifies_member(&old_proof, &root1, b"key7", b"value7"));
    assert!(!verifies_member(&old_proof, &root2, b"key7", b"value7"));
    // A non-membership proof of one key does not prove another (present) key absent.
    let (_, absent) = store.prove(2, b"nope").unwrap();
    assert!(verifies_absent(&absent, &root2, b"nope"));
    assert!(!verifies_absent(&absent, &root2, b"key7"));
}

#[test]
fn empty_tree_has_zero_root_and_unverifiable_proofs() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    assert_eq!(store.root_at(0).unwrap(), minitia_core::Hash32::ZERO);
    let (v, proof) = store.prove(0, b"k").unwrap();
    assert_eq!(v, None);
    let n = nonexist(&proof);
    assert!(n.left.is_none() && n.right.is_none());
    // ICS-23 cannot prove anything against an empty tree; documented limitation.
    assert!(!verifies_absent(&proof, &minitia_core::Hash32::ZERO, b"k"));
    // Deleting everything returns to the zero root.
    store
        .commit_writes(1, &writes(&[(b"k", Some(b"v"))]))
        .unwrap();
    let root = store.commit_writes(2, &writes(&[(b"k", None)])).unwrap();
    assert_eq!(root, minitia_core::Hash32::ZERO);
}

#[test]
fn pruned_versions_cannot_be_proven_but_stay_readable() {
    let dir = tempfile::tempdir().unwrap();
    let config = StoreConfig {
        retained_versions: 3,
        ..StoreConfig::default()
    };
    let mut store = Store::open(dir.path().join("s.redb"), config).unwrap();
    for v in 1..=5u64 {
        let val = format!("v{v}").into_bytes();
        store
            .commit_writes(v, &writes(&[(b"k", Some(&val)), (b"other", Some(b"x"))]))
            .unwrap();
    }
    for v in 3..=5u64 {
        let (value, proof) = store.prove(v, b"k").unwrap();
        let value = value.unwrap();
        assert_eq!(value, format!("v{v}").into_bytes());
        assert!(verifies_member(
            &proof,
            &store.root_at(v).unwrap(),
            b"k",
            &value
        ));
    }
    assert_eq!(
        store.prove(2, b"k").unwrap_err(),
        StateError::VersionUnavailable {
            requested: 2,
            oldest: 3,
            latest: 5
        }
    );
    assert!(store.prove(6, b"k").is_err());
    let view = store.view_at(1).unwrap();
    use minitia_core::state::StateView;
    assert_eq!(view.get(b"k").unwrap(), Some(b"v1".to_vec()));
    assert!(store.root_at(1).is_ok());
    assert!(store.view_at(6).is_err());
}

#[test]
fn prove_many_matches_prove() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    store.commit_writes(1, &numbered(50)).unwrap();
    let keys: Vec<Vec<u8>> = (40..60).map(|i| format!("key{i}").into_bytes()).collect();
    let many = store.prove_many(1, keys.iter().map(Vec::as_slice)).unwrap();
    assert_eq!(many.len(), keys.len());
    for (i, (k, p)) in (40..60).zip(keys.iter().zip(&many)) {
        let (value, proof) = store.prove(1, k).unwrap();
        assert_eq!(&p.key, k);
        assert_eq!(p.value, value);
        assert_eq!(p.proof, proof);
        assert_eq!(p.value.is_some(), i < 50, "{i}");
    }
}
