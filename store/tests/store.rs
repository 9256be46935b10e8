//! Versioning, reads, iteration, validation and reopen behaviour of the store.

mod common;

use common::{open, writes};
use minitia_core::state::{StateIter, StateStore, StateView};
use minitia_core::StateError;
use minitia_store::{Store, StoreConfig, StoreError};

#[test]
fn commits_must_be_consecutive() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let w = writes(&[(b"a", Some(b"1"))]);
    assert!(matches!(
        store.commit_writes(2, &w),
        Err(StoreError::OutOfOrder { latest: 0, got: 2 })
    ));
    store.commit_writes(1, &w).unwrap();
    assert!(matches!(
        store.commit_writes(1, &w),
        Err(StoreError::OutOfOrder { latest: 1, got: 1 })
    ));
    assert_eq!(store.latest_version(), 1);
}

#[test]
fn invalid_writes_are_rejected_without_side_effects() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let root = store
        .commit_writes(1, &writes(&[(b"a", Some(b"1"))]))
        .unwrap();
    let bad_value = writes(&[(b"b", Some(b"2")), (b"c", Some(b""))]);
    assert!(matches!(
        store.commit_writes(2, &bad_value),
        Err(StoreError::EmptyValue(k)) if k == "63"
    ));
    let bad_key = writes(&[(b"", Some(b"2"))]);
    assert!(matches!(
        store.commit_writes(2, &bad_key),
        Err(StoreError::EmptyKey)
    ));
    assert_eq!(store.latest_version(), 1);
    assert_eq!(store.root(), root);
    assert_eq!(store.view_at(1).unwrap().get(b"b").unwrap(), None);
    // The next valid commit still takes version 2.
    store
        .commit_writes(2, &writes(&[(b"b", Some(b"2"))]))
        .unwrap();
}

#[test]
fn reads_at_every_version_including_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    store
        .commit_writes(1, &writes(&[(b"a", Some(b"1")), (b"b", Some(b"1"))]))
        .unwrap();
    store
        .commit_writes(2, &writes(&[(b"a", Some(b"2")), (b"b", None)]))
        .unwrap();
    store
        .commit_writes(3, &writes(&[(b"b", Some(b"3"))]))
        .unwrap();
    type Row<'a> = (u64, Option<&'a [u8]>, Option<&'a [u8]>);
    let expect: [Row<'_>; 4] = [
        (0, None, None),
        (1, Some(b"1"), Some(b"1")),
        (2, Some(b"2"), None),
        (3, Some(b"2"), Some(b"3")),
    ];
    for (v, a, b) in expect {
        let view = store.view_at(v).unwrap();
        assert_eq!(view.get(b"a").unwrap().as_deref(), a, "a@{v}");
        assert_eq!(view.get(b"b").unwrap().as_deref(), b, "b@{v}");
    }
}

#[test]
fn keys_that_extend_other_keys_do_not_shadow_them() {
    // With a naive `key ‖ version_be` row key, rows of "a" and "a\0\0\0\0\0\0\0\x02…"
    // would interleave and a read of "a" could land on the other key's row.
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let long = b"a\0\0\0\0\0\0\0\x02zz".to_vec();
    store
        .commit_writes(1, &writes(&[(b"a", Some(b"short"))]))
        .unwrap();
    store
        .commit_writes(2, &writes(&[(&long, Some(b"long"))]))
        .unwrap();
    store
        .commit_writes(3, &writes(&[(b"a\0", Some(b"mid"))]))
        .unwrap();
    let view = store.view_at(3).unwrap();
    assert_eq!(view.get(b"a").unwrap(), Some(b"short".to_vec()));
    assert_eq!(view.get(&long).unwrap(), Some(b"long".to_vec()));
    assert_eq!(view.get(b"a\0").unwrap(), Some(b"mid".to_vec()));
    assert_eq!(store.view_at(1).unwrap().get(&long).unwrap(), None);
}

#[test]
fn iter_prefix_is_ordered_versioned_and_limited() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    store
        .commit_writes(
            1,
            &writes(&[
                (b"bal/carol", Some(b"3")),
                (b"bal/alice", Some(b"1")),
                (b"bal/bob", Some(b"2")),
                (b"bak", Some(b"x")),
                (b"bam", Some(b"y")),
            ]),
        )
        .unwrap();
    store
        .commit_writes(2, &writes(&[(b"bal/bob", None), (b"bal/dave", Some(b"4"))]))
        .unwrap();
    let pairs = |v: u64, limit: usize| -> Vec<(String, String)> {
        store
            .view_at(v)
            .unwrap()
            .iter_prefix(b"bal/", limit)
            .unwrap()
            .into_iter()
            .map(|(k, v)| (String::from_utf8(k).unwrap(), String::from_utf8(v).unwrap()))
            .collect()
    };
    let own = |x: &[(&str, &str)]| -> Vec<(String, String)> {
        x.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        pairs(1, 10),
        own(&[("bal/alice", "1"), ("bal/bob", "2"), ("bal/carol", "3")])
    );
    assert_eq!(
        pairs(2, 10),
        own(&[("bal/alice", "1"), ("bal/carol", "3"), ("bal/dave", "4")])
    );
    assert_eq!(pairs(2, 2), own(&[("bal/alice", "1"), ("bal/carol", "3")]));
    assert!(pairs(2, 0).is_empty());
    assert!(pairs(0, 10).is_empty());
}

#[test]
fn reopen_restores_latest_root_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let (root, root1) = {
        let mut store = Store::open(&path, StoreConfig::default()).unwrap();
        let r1 = store
            .commit_writes(1, &writes(&[(b"a", Some(b"1")), (b"b", Some(b"1"))]))
            .unwrap();
        let r2 = store
            .commit_writes(2, &writes(&[(b"a", None), (b"c", Some(b"3"))]))
            .unwrap();
        (r2, r1)
    };
    let store = Store::open(&path, StoreConfig::default()).unwrap();
    assert_eq!(store.latest_version(), 2);
    assert_eq!(store.root(), root);
    assert_eq!(store.root_at(1).unwrap(), root1);
    assert_eq!(
        store.view_at(1).unwrap().get(b"a").unwrap(),
        Some(b"1".to_vec())
    );
    // Versions not yet moved into the indexed history are replayed, so they stay provable.
    let p1 = store.prove_key(1, b"a").unwrap();
    assert!(common::verifies_member(&p1.proof, &root1, b"a", b"1"));
    // With one retained tree only the latest version is provable after reopen.
    drop(store);
    let one = StoreConfig {
        retained_versions: 1,
        ..StoreConfig::default()
    };
    let mut store = Store::open(&path, one).unwrap();
    assert!(matches!(
        store.prove_key(1, b"a"),
        Err(StoreError::VersionUnavailable {
            requested: 1,
            oldest: 2,
            latest: 2
        })
    ));
    assert_eq!(
        store.view_at(1).unwrap().get(b"a").unwrap(),
        Some(b"1".to_vec())
    );
    let p = store.prove_key(2, b"c").unwrap();
    assert!(common::verifies_member(&p.proof, &root, b"c", b"3"));
    store
        .commit_writes(3, &writes(&[(b"d", Some(b"4"))]))
        .unwrap();
}

/// Rewrites the value of `a` written at version 1 behind the store's back, in whichever
/// table (see db.rs) holds it, and expects the next open to refuse the data.
fn tamper_and_reopen(index_interval: u64, table: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let config = StoreConfig {
        index_interval,
        ..StoreConfig::default()
    };
    {
        let mut store = Store::open(&path, config.clone()).unwrap();
        store
            .commit_writes(1, &writes(&[(b"a", Some(b"1")), (b"b", Some(b"2"))]))
            .unwrap();
        store
            .commit_writes(2, &writes(&[(b"c", Some(b"3"))]))
            .unwrap();
    }
    {
        let db = redb::Database::open(&path).unwrap();
        let tx = db.begin_write().unwrap();
        let row = [1u8, b'9'];
        if table == "values" {
            let def: redb::TableDefinition<(&[u8], u64), &[u8]> =
                redb::TableDefinition::new("values");
            let mut t = tx.open_table(def).unwrap();
            assert!(t
                .insert((b"a".as_slice(), 1u64), row.as_slice())
                .unwrap()
                .is_some());
        } else {
            let def: redb::TableDefinition<(u64, &[u8]), &[u8]> = redb::TableDefinition::new("log");
            let mut t = tx.open_table(def).unwrap();
            assert!(t
                .insert((1u64, b"a".as_slice()), row.as_slice())
                .unwrap()
                .is_some());
        }
        tx.commit().unwrap();
    }
    let err = Store::open(&path, config).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
    assert!(err.to_string().contains("restore the data dir"), "{err}");
    assert!(matches!(StateError::from(err), StateError::Corrupt(_)));
}

#[test]
fn tampered_log_is_detected_on_open() {
    tamper_and_reopen(32, "log");
}

#[test]
fn tampered_history_is_detected_on_open() {
    tamper_and_reopen(1, "values");
}

#[test]
fn reads_and_iteration_span_the_log_and_the_indexed_history() {
    // index_interval 3: versions 1..=3 and 4..=6 get indexed, 7..=8 stay in the log.
    for retained in [1usize, 100] {
        let dir = tempfile::tempdir().unwrap();
        let config = StoreConfig {
            index_interval: 3,
            retained_versions: retained,
            ..StoreConfig::default()
        };
        let mut store = Store::open(dir.path().join("s.redb"), config.clone()).unwrap();
        let mut model = std::collections::BTreeMap::new();
        let mut snapshots = vec![model.clone()];
        for v in 1..=8u64 {
            let mut ws = minitia_core::state::WriteSet::new();
            for i in 0..6u64 {
                let k = format!("p/{}", (v * 5 + i * 3) % 11).into_bytes();
                if (v + i) % 4 == 0 {
                    ws.delete(k.clone());
                    model.remove(&k);
                } else {
                    let val = format!("{v}.{i}").into_bytes();
                    ws.put(k.clone(), val.clone());
                    model.insert(k, val);
                }
            }
            store.commit_writes(v, &ws).unwrap();
            snapshots.push(model.clone());
        }
        for reopen in [false, true] {
            if reopen {
                let path = dir.path().join("s.redb");
                drop(store);
                store = Store::open(&path, config.clone()).unwrap();
            }
            for (v, snap) in snapshots.iter().enumerate() {
                let view = store.view_at(v as u64).unwrap();
                for i in 0..11 {
                    let k = format!("p/{i}").into_bytes();
                    assert_eq!(view.get(&k).unwrap(), snap.get(&k).cloned(), "p/{i}@{v}");
                }
                let listed = view.iter_prefix(b"p/", usize::MAX).unwrap();
                let expect: Vec<_> = snap.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                assert_eq!(
                    listed, expect,
                    "iter@{v} retained={retained} reopen={reopen}"
                );
                let first_two = view.iter_prefix(b"p/", 2).unwrap();
                assert_eq!(
                    first_two,
                    expect.iter().take(2).cloned().collect::<Vec<_>>()
                );
            }
        }
    }
}
