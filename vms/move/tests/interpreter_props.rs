//! Property tests: the interpreter's integer semantics agree with Rust's checked arithmetic.

use std::path::PathBuf;
use std::sync::OnceLock;

use minitia_vm_move::interpreter::{module_id, InMemoryStorage, Session, Value};
use minitia_vm_move::loader::ModuleCache;
use minitia_vm_move::VmError;
use proptest::prelude::*;

/// Modules of tests/move-build as bytes (the cache itself is not `Sync`).
fn module_bytes() -> &'static Vec<Vec<u8>> {
    static BYTES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/move-build");
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "mv"))
            .collect();
        paths.sort();
        paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
    })
}

fn cache() -> ModuleCache {
    let modules = module_bytes()
        .iter()
        .map(|b| minitia_vm_move::load_module(b).unwrap())
        .collect();
    let mut cache = ModuleCache::new();
    cache.publish_bundle(modules).unwrap();
    cache
}

fn run(cache: &ModuleCache, f: &str, args: Vec<Value>) -> Result<Vec<Value>, VmError> {
    let storage = InMemoryStorage::new();
    Session::new(cache, &storage, 1_000_000).execute_function(
        &module_id(0x42, "arith"),
        f,
        &[],
        args,
    )
}

/// `Some(v)` must be returned as `[v]`, `None` must be an arithmetic error.
fn agrees(result: Result<Vec<Value>, VmError>, expected: Option<Value>) -> bool {
    match (result, expected) {
        (Ok(v), Some(e)) => v == vec![e],
        (Err(VmError::Arithmetic { .. }), None) => true,
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn integer_ops_match_rust(a in any::<u64>(), b in any::<u64>(), n in any::<u8>()) {
        let c = cache();
        let (a8, b8) = (a as u8, b as u8);
        prop_assert!(agrees(run(&c, "add_u8", vec![Value::U8(a8), Value::U8(b8)]), a8.checked_add(b8).map(Value::U8)));
        prop_assert!(agrees(run(&c, "sub_u64", vec![Value::U64(a), Value::U64(b)]), a.checked_sub(b).map(Value::U64)));
        let (a128, b128) = (u128::from(a) << 32, u128::from(b) << 40);
        prop_assert!(agrees(run(&c, "mul_u128", vec![Value::U128(a128), Value::U128(b128)]), a128.checked_mul(b128).map(Value::U128)));
        let (a32, b32) = (a as u32, (b % 4) as u32);
        prop_assert!(agrees(run(&c, "div_u32", vec![Value::U32(a32), Value::U32(b32)]), a32.checked_div(b32).map(Value::U32)));
        let expected_shl = if n < 64 { Some(Value::U64(a << n)) } else { None };
        prop_assert!(agrees(run(&c, "shl_u64", vec![Value::U64(a), Value::U8(n)]), expected_shl));
        prop_assert!(agrees(run(&c, "cast_to_u8", vec![Value::U64(a % 512)]), u8::try_from(a % 512).ok().map(Value::U8)));
    }
}
