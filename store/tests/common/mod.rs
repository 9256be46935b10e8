//! Helpers shared by the integration tests.
#![allow(dead_code)]

use minitia_core::state::WriteSet;
use minitia_core::Hash32;
use minitia_store::ics23::{self, CommitmentProof, HostFunctionsManager};
use minitia_store::{Store, StoreConfig};

pub fn open(dir: &tempfile::TempDir) -> Store {
    Store::open(dir.path().join("state.redb"), StoreConfig::default()).expect("open store")
}

pub fn writes(pairs: &[(&[u8], Option<&[u8]>)]) -> WriteSet {
    let mut ws = WriteSet::new();
    for (k, v) in pairs {
        match v {
            Some(v) => ws.put(k.to_vec(), v.to_vec()),
            None => ws.delete(k.to_vec()),
        }
    }
    ws
}

/// Verifies with the ics23 crate directly (not through the store's wrappers).
pub fn verifies_member(p: &CommitmentProof, root: &Hash32, key: &[u8], value: &[u8]) -> bool {
    ics23::verify_membership::<HostFunctionsManager>(
        p,
        &ics23::smt_spec(),
        &root.0.to_vec(),
        key,
        value,
    )
}

pub fn verifies_absent(p: &CommitmentProof, root: &Hash32, key: &[u8]) -> bool {
    ics23::verify_non_membership::<HostFunctionsManager>(
        p,
        &ics23::smt_spec(),
        &root.0.to_vec(),
        key,
    )
}
