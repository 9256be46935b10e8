//! Property test: random op sequences against a `BTreeMap` model.

mod common;

use std::collections::BTreeMap;

use common::{verifies_absent, verifies_member};
use minitia_core::state::{StateIter, StateProver, StateStore, StateView, WriteSet};
use minitia_store::{Store, StoreConfig};
use proptest::prelude::*;

/// A small key universe so that overwrites and deletes hit existing keys; lengths vary so
/// that some keys are prefixes of others.
fn key(i: u8) -> Vec<u8> {
    let mut k = vec![b'k'; 1 + usize::from(i % 3)];
    k.push(i / 3);
    k
}

fn block() -> impl Strategy<Value = Vec<(u8, Option<Vec<u8>>)>> {
    prop::collection::vec(
        (
            0u8..24,
            prop::option::weighted(0.75, prop::collection::vec(any::<u8>(), 1..6)),
        ),
        0..12,
    )
}

fn write_set(ops: &[(u8, Option<Vec<u8>>)]) -> WriteSet {
    let mut ws = WriteSet::new();
    for (i, v) in ops {
        match v {
            Some(v) => ws.put(key(*i), v.clone()),
            None => ws.delete(key(*i)),
        }
    }
    ws
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn store_matches_model(blocks in prop::collection::vec(block(), 1..8), index_interval in 1u64..5) {
        let dir = tempfile::tempdir().unwrap();
        let config = StoreConfig { index_interval, ..StoreConfig::default() };
        let mut store = Store::open(dir.path().join("s.redb"), config.clone()).unwrap();
        let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        let mut snapshots = vec![model.clone()];
        for (i, ops) in blocks.iter().enumerate() {
            let ws = write_set(ops);
            for (k, v) in ws.iter() {
                match v {
                    Some(v) => { model.insert(k.clone(), v.clone()); }
                    None => { model.remove(k); }
                }
            }
            store.commit_writes(i as u64 + 1, &ws).unwrap();
            snapshots.push(model.clone());
        }
        // Half the cases check a reopened store (tree rebuilt from history and log).
        if index_interval % 2 == 0 {
            drop(store);
            store = Store::open(dir.path().join("s.redb"), config).unwrap();
        }
        // Same values at every version, through get and iter_prefix.
        for (v, snap) in snapshots.iter().enumerate() {
            let view = store.view_at(v as u64).unwrap();
            for i in 0..24 {
                prop_assert_eq!(view.get(&key(i)).unwrap(), snap.get(&key(i)).cloned());
            }
            let all = view.iter_prefix(b"", usize::MAX).unwrap();
            let expect: Vec<_> = snap.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            prop_assert_eq!(all, expect);
        }
        // Proofs verify (or the tree is empty) at every retained version.
        for (v, snap) in snapshots.iter().enumerate() {
            let root = store.root_at(v as u64).unwrap();
            if (v as u64) < store.oldest_provable() {
                // Only a reopened store drops trees here: it rebuilds from the indexed history.
                let unavailable = matches!(
                    store.prove(v as u64, &key(0)),
                    Err(minitia_core::StateError::VersionUnavailable { .. })
                );
                prop_assert!(unavailable);
                continue;
            }
            for i in 0..24 {
                let (value, proof) = store.prove(v as u64, &key(i)).unwrap();
                prop_assert_eq!(&value, &snap.get(&key(i)).cloned());
                match value {
                    Some(value) => prop_assert!(verifies_member(&proof, &root, &key(i), &value)),
                    None if snap.is_empty() => prop_assert_eq!(root, minitia_core::Hash32::ZERO),
                    None => prop_assert!(verifies_absent(&proof, &root, &key(i))),
                }
            }
        }
        // The root depends only on the final map: one commit of it in a fresh store, and
        // the same map written in reverse-order halves, give the same root.
        let final_map: Vec<_> = model.iter().collect();
        let dir2 = tempfile::tempdir().unwrap();
        let mut once = Store::open(dir2.path().join("s.redb"), StoreConfig::default()).unwrap();
        let mut ws = WriteSet::new();
        for (k, v) in &final_map { ws.put((*k).clone(), (*v).clone()); }
        let root_once = once.commit_writes(1, &ws).unwrap();
        prop_assert_eq!(root_once, store.root());
        let dir3 = tempfile::tempdir().unwrap();
        let mut halves = Store::open(dir3.path().join("s.redb"), StoreConfig::default()).unwrap();
        let (a, b) = final_map.split_at(final_map.len() / 2);
        let mut w1 = WriteSet::new();
        for (k, v) in b.iter().rev() { w1.put((*k).clone(), (*v).clone()); }
        w1.put(b"temporary".to_vec(), b"gone later".to_vec());
        let mut w2 = WriteSet::new();
        for (k, v) in a { w2.put((*k).clone(), (*v).clone()); }
        w2.delete(b"temporary".to_vec());
        halves.commit_writes(1, &w1).unwrap();
        prop_assert_eq!(halves.commit_writes(2, &w2).unwrap(), store.root());
    }
}
