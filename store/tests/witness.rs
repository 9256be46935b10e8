//! Property test: a witness of a block's keys reads like the store and recomputes exactly
//! the root the store commits, for random states and random sets, overwrites and deletes.

use std::collections::BTreeMap;

use minitia_core::state::{StateError, StateView, WriteSet};
use minitia_store::{Store, StoreConfig, Witness};
use proptest::prelude::*;

fn key(i: u16) -> Vec<u8> {
    format!("key/{i}").into_bytes()
}

/// Pre-state keys, block writes, extra reads.
type Case = (Vec<u16>, Vec<(u16, Option<u8>)>, Vec<u16>);

/// Pre-state keys, then one block: writes over a universe that overlaps the pre-state, plus
/// extra keys that are only read.
fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(0u16..400, 0..120),
        prop::collection::vec((0u16..400, prop::option::weighted(0.6, any::<u8>())), 0..40),
        prop::collection::vec(0u16..400, 0..10),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn witness_matches_store((pre, block, reads) in case()) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("s.redb"), StoreConfig::default()).unwrap();
        let mut ws = WriteSet::new();
        let mut model = BTreeMap::new();
        for k in &pre {
            ws.put(key(*k), vec![*k as u8, 1]);
            model.insert(key(*k), vec![*k as u8, 1]);
        }
        let pre_root = store.commit_writes(1, &ws).unwrap();

        let mut writes = WriteSet::new();
        for (k, v) in &block {
            match v {
                Some(v) => writes.put(key(*k), vec![*v, 2]),
                None => writes.delete(key(*k)),
            }
        }
        let covered: Vec<Vec<u8>> = writes
            .iter()
            .map(|(k, _)| k.clone())
            .chain(reads.iter().map(|k| key(*k)))
            .collect();
        let deleted: Vec<Vec<u8>> = writes
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| k.clone())
            .collect();
        let w = store
            .witness(
                1,
                covered.iter().map(Vec::as_slice),
                deleted.iter().map(Vec::as_slice),
            )
            .unwrap();
        // Round trip through the canonical encoding.
        let w = Witness::decode(&w.encode()).unwrap();
        w.verify(&pre_root).unwrap();
        for k in &covered {
            prop_assert_eq!(w.get(k).unwrap(), model.get(k).cloned());
        }
        // A key outside the witness is refused unless the witness happens to prove it.
        for i in 400u16..420 {
            match w.get(&key(i)) {
                Ok(v) => prop_assert_eq!(v, None),
                Err(StateError::MissingWitness(_)) => {}
                Err(e) => prop_assert!(false, "{e}"),
            }
        }
        let computed = w.apply(&writes).unwrap();
        let real = store.commit_writes(2, &writes).unwrap();
        prop_assert_eq!(computed, real);
    }
}
