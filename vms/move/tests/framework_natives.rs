//! Framework natives with host-visible effects: events, block facts, table entries that
//! persist across sessions. (Their Move-visible results are also checked against
//! Initia's VM by the differential suite, module `d_framework`.)

use std::path::PathBuf;

use minitia_vm_move::interpreter::{Env, InMemoryStorage, Session, Value};
use minitia_vm_move::loader::ModuleCache;
use minitia_vm_move::types::{address_from_u64, ModuleId, TypeTag};

const GAS: u64 = 10_000_000;

fn cache() -> ModuleCache {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/move-build");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mv"))
        .collect();
    paths.sort();
    let modules = paths
        .iter()
        .map(|p| minitia_vm_move::load_verified_module(&std::fs::read(p).unwrap()).unwrap())
        .collect();
    let mut cache = ModuleCache::new();
    cache.publish_bundle(modules).unwrap();
    cache
}

fn d_framework() -> ModuleId {
    ModuleId::new(address_from_u64(0x42), "d_framework")
}

#[test]
fn events_are_recorded_with_type_and_bcs() {
    let cache = cache();
    let storage = InMemoryStorage::new();
    let mut s = Session::new(&cache, &storage, GAS);
    s.execute_function(&d_framework(), "emit_two", &[], vec![])
        .unwrap();
    let effects = s.finish_effects().unwrap();
    assert_eq!(effects.events.len(), 2);
    for (i, e) in effects.events.iter().enumerate() {
        match &e.type_tag {
            TypeTag::Struct(tag) => {
                assert_eq!(tag.to_string(), "0x42::d_framework::Ev");
            }
            other => panic!("event type {other}"),
        }
        assert_eq!(e.data, (i as u64 + 1).to_le_bytes().to_vec());
    }
}

#[test]
fn block_info_comes_from_the_host_env() {
    let cache = cache();
    let storage = InMemoryStorage::new();
    let env = Env {
        block_height: 77,
        block_time_nanos: 1_700_000_000_123_456_789,
        chain_id: "minimove-1".into(),
        tx_hash: [0; 32],
    };
    let mut s = Session::with_env(&cache, &storage, GAS, env);
    let out = s
        .execute_function(&d_framework(), "block_info", &[], vec![])
        .unwrap();
    assert_eq!(out, vec![Value::U64(77), Value::U64(1_700_000_000)]);
}

#[test]
fn table_entries_persist_across_sessions() {
    let cache = cache();
    let mut storage = InMemoryStorage::new();
    let cafe = address_from_u64(0xcafe);
    let env = Env {
        tx_hash: [7; 32],
        ..Env::default()
    };
    let mut s = Session::with_env(&cache, &storage, GAS, env.clone());
    s.execute_function(
        &d_framework(),
        "ts_table_in_resource",
        &[],
        vec![Value::Signer(cafe)],
    )
    .unwrap();
    let effects = s.finish_effects().unwrap();
    assert_eq!(effects.resources.len(), 1, "the Store resource");
    assert_eq!(effects.tables.len(), 1, "one table entry");
    let ((handle, key), value) = effects.tables.iter().next().unwrap();
    assert_eq!(key, &5u64.to_le_bytes().to_vec());
    assert_eq!(value.as_deref(), Some(&b"\x05five!"[..]));
    // Handles derive from the transaction hash: same tx, same handle.
    let mut again = Session::with_env(&cache, &storage, GAS, env);
    again
        .execute_function(
            &d_framework(),
            "ts_table_in_resource",
            &[],
            vec![Value::Signer(cafe)],
        )
        .unwrap();
    assert_eq!(
        again
            .finish_effects()
            .unwrap()
            .tables
            .keys()
            .next()
            .unwrap()
            .0,
        *handle
    );

    storage.apply_effects(effects);
    let mut read = Session::new(&cache, &storage, GAS);
    let out = read
        .execute_function(
            &d_framework(),
            "table_value",
            &[],
            vec![Value::Address(cafe), Value::U64(5)],
        )
        .unwrap();
    let expected: Vec<Value> = b"five!".iter().map(|b| Value::U8(*b)).collect();
    assert_eq!(out, vec![Value::Vector(expected)]);
    // Reading does not write.
    let effects = read.finish_effects().unwrap();
    assert!(effects.tables.is_empty() && effects.resources.is_empty());
}
