//! Differential tests against Initia's Move VM.
//!
//! `tests/move-src/sources/d_*.move` hold functions `t_*()` and `ts_*(s: signer)`.
//! `tests/diff_reference.sh` runs them as Move unit tests on Initia's VM (npm
//! `@initia/builder.js`, a dev-only tool) and records each outcome in
//! `tests/diff_reference.json`; here the same compiled functions run on this crate's
//! interpreter, each on fresh storage, and every outcome must match: pass, the abort code,
//! the kind of arithmetic error, the vector sub-status, or the storage error status.

use std::collections::BTreeMap;
use std::path::PathBuf;

use minitia_vm_move::interpreter::{InMemoryStorage, Session, Value};
use minitia_vm_move::loader::ModuleCache;
use minitia_vm_move::types::{address_from_u64, ModuleId};
use minitia_vm_move::VmError;

const GAS: u64 = 100_000_000;
/// The address the reference run passes as `s` to `ts_*` functions (`#[test(s = @0xcafe)]`).
const SIGNER: u64 = 0xcafe;

fn cache() -> ModuleCache {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/move-build");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mv"))
        .collect();
    paths.sort();
    let modules = paths
        .iter()
        .map(|p| {
            minitia_vm_move::load_verified_module(&std::fs::read(p).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect();
    let mut cache = ModuleCache::new();
    cache.publish_bundle(modules).unwrap();
    cache
}

/// The reference outcome format written by `diff_reference.sh`.
fn outcome_of(result: &Result<Vec<Value>, VmError>) -> serde_json::Value {
    use serde_json::json;
    match result {
        Ok(_) => json!({ "outcome": "pass" }),
        Err(VmError::Abort { code, .. }) => json!({ "outcome": "abort", "code": code.to_string() }),
        Err(VmError::Arithmetic { reason, .. }) => {
            // Initia's wording for the same arithmetic failures.
            let detail = match *reason {
                "addition overflow" => "Addition overflow",
                "subtraction underflow" => "Subtraction overflow",
                "multiplication overflow" => "Multiplication overflow",
                "division by zero" => "Division by zero",
                "modulo by zero" => "Integer remainder by zero",
                "cast of a value out of the target range" => "Cannot cast u",
                // Initia names the direction; ours does not: compared separately below.
                "shift amount not below the bit width" => "Shift",
                other => other,
            };
            json!({ "outcome": "arithmetic", "detail": detail })
        }
        Err(VmError::Vector { reason, .. }) => {
            // Move's vector sub-statuses: 1 index out of bounds, 2 pop from empty,
            // 3 destroy of a non-empty vector or `VecUnpack` length mismatch (the compiler
            // turns `destroy_empty(vector[x])` into `VecUnpack(0)`).
            let sub = if reason.contains("out of bounds") {
                "1"
            } else if reason.contains("pop from an empty") {
                "2"
            } else if reason.contains("destroy") || reason.contains("unpack of a vector") {
                "3"
            } else {
                "?"
            };
            json!({ "outcome": "vector", "sub_status": sub, "reason": reason })
        }
        Err(VmError::ResourceAlreadyExists { .. }) => {
            json!({ "outcome": "error", "status": "RESOURCE_ALREADY_EXISTS" })
        }
        Err(VmError::ResourceMissing { .. }) => {
            json!({ "outcome": "error", "status": "MISSING_DATA" })
        }
        Err(other) => json!({ "outcome": "error", "status": other.to_string() }),
    }
}

fn matches(expected: &serde_json::Value, got: &serde_json::Value) -> bool {
    let field =
        |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(String::from);
    if field(expected, "outcome") != field(got, "outcome") {
        return false;
    }
    match field(expected, "outcome").as_deref() {
        Some("abort") => field(expected, "code") == field(got, "code"),
        Some("error") => field(expected, "status") == field(got, "status"),
        Some("vector") => field(expected, "sub_status") == field(got, "sub_status"),
        Some("arithmetic") => {
            let e = field(expected, "detail").unwrap_or_default();
            let g = field(got, "detail").unwrap_or_default();
            if g == "Shift" {
                e.starts_with("Shift")
            } else {
                e == g
            }
        }
        _ => true,
    }
}

#[test]
fn differential_suite_matches_initia_vm() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/diff_reference.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let reference: BTreeMap<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert!(
        reference.len() >= 100,
        "reference has {} results",
        reference.len()
    );

    let cache = cache();
    let mut failures = Vec::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (name, expected) in &reference {
        let mut parts = name.split("::");
        let (addr, module, function) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let addr = u64::from_str_radix(addr.trim_start_matches("0x"), 16).unwrap();
        let id = ModuleId::new(address_from_u64(addr), module);
        let args = if function.starts_with("ts_") {
            vec![Value::Signer(address_from_u64(SIGNER))]
        } else {
            vec![]
        };
        let storage = InMemoryStorage::new();
        let mut session = Session::new(&cache, &storage, GAS);
        let result = session.execute_function(&id, function, &[], args);
        let got = outcome_of(&result);
        *counts
            .entry(expected["outcome"].as_str().unwrap_or("?").to_string())
            .or_default() += 1;
        if !matches(expected, &got) {
            failures.push(format!(
                "{name}: reference {expected}, ours {got} ({result:?})"
            ));
        }
    }
    println!(
        "differential suite: {} functions, outcomes {counts:?}",
        reference.len()
    );
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every `t_*`/`ts_*` function of the compiled suite has a reference result, so a function
/// added to the sources without re-running `diff_reference.sh` is noticed.
#[test]
fn reference_covers_every_suite_function() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/diff_reference.json");
    let reference: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let cache = cache();
    let mut missing = Vec::new();
    let mut total = 0;
    for module in [
        "d_arith",
        "d_control",
        "d_enum",
        "d_framework",
        "d_global",
        "d_natives",
        "d_struct",
        "d_vector",
    ] {
        let id = ModuleId::new(address_from_u64(0x42), module);
        let loaded = cache
            .get(&id)
            .unwrap_or_else(|| panic!("{module} not compiled"));
        for def in &loaded.module.function_defs {
            let handle = &loaded.module.function_handles[def.function.into_index()];
            let name = loaded.module.identifier(handle.name).to_string();
            if name.starts_with("t_") || name.starts_with("ts_") {
                total += 1;
                let key = format!("0x42::{module}::{name}");
                if !reference.contains_key(&key) {
                    missing.push(key);
                }
            }
        }
    }
    assert!(missing.is_empty(), "no reference result for {missing:?}");
    assert_eq!(total, reference.len());
}
