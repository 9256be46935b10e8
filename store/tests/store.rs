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
    let mut store = Store::open(&path, StoreConfig::default()).unwrap();
    assert_eq!(store.latest_version(), 2);
    assert_eq!(store.root(), root);
    assert_eq!(store.root_at(1).unwrap(), root1);
    assert_eq!(
        store.view_at(1).unwrap().get(b"a").unwrap(),
        Some(b"1".to_vec())
    );
    // Only the latest tree is rebuilt.
    assert!(matches!(
        store.prove_key(1, b"a"),
        Err(StoreError::VersionUnavailable {
            requested: 1,
            oldest: 2,
            latest: 2
        })
    ));
    let p = store.prove_key(2, b"c").unwrap();
    assert!(common::verifies_member(&p.proof, &root, b"c", b"3"));
    store
        .commit_writes(3, &writes(&[(b"d", Some(b"4"))]))
        .unwrap();
}

#[test]
fn tampered_values_are_detected_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    {
        let mut store = Store::open(&path, StoreConfig::default()).unwrap();
        store
            .commit_writes(1, &writes(&[(b"a", Some(b"1")), (b"b", Some(b"2"))]))
            .unwrap();
    }
    {
        // Rewrite a value behind the store's back, using the on-disk layout of db.rs.
        let db = redb::Database::open(&path).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let def: redb::TableDefinition<(&[u8], u64), &[u8]> =
                redb::TableDefinition::new("values");
            let mut t = tx.open_table(def).unwrap();
            t.insert((b"a".as_slice(), 1u64), [1u8, b'9'].as_slice())
                .unwrap();
        }
        tx.commit().unwrap();
    }
    let err = Store::open(&path, StoreConfig::default()).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
    assert!(err.to_string().contains("restore the data dir"), "{err}");
    assert!(matches!(StateError::from(err), StateError::Corrupt(_)));
}
