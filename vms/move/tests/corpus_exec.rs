//! Executes real Initia stdlib functions from the corpus (pure functions, no storage).

mod common;

use minitia_vm_move::interpreter::{module_id, InMemoryStorage, Session, Value};
use minitia_vm_move::loader::ModuleCache;
use minitia_vm_move::types::TypeTag;
use minitia_vm_move::VmError;

fn stdlib() -> ModuleCache {
    let modules = common::corpus_modules()
        .into_iter()
        .filter(|(n, _)| n.starts_with("stdlib/"))
        .map(|(n, b)| {
            minitia_vm_move::load_verified_module(&b).unwrap_or_else(|e| panic!("{n}: {e}"))
        })
        .collect();
    let mut cache = ModuleCache::new();
    cache.publish_bundle(modules).unwrap();
    cache
}

fn call(
    cache: &ModuleCache,
    module: &str,
    f: &str,
    ty: &[TypeTag],
    args: Vec<Value>,
) -> Result<Vec<Value>, VmError> {
    let storage = InMemoryStorage::new();
    let mut s = Session::new(cache, &storage, 10_000_000);
    s.execute_function(&module_id(1, module), f, ty, args)
}

fn bytes(v: &[u8]) -> Value {
    Value::Vector(v.iter().map(|b| Value::U8(*b)).collect())
}

fn u64s(v: &[u64]) -> Value {
    Value::Vector(v.iter().map(|b| Value::U64(*b)).collect())
}

#[test]
fn math64() {
    let c = stdlib();
    let u = Value::U64;
    assert_eq!(
        call(&c, "math64", "sqrt", &[], vec![u(1_000_000)]).unwrap(),
        vec![u(1000)]
    );
    assert_eq!(
        call(&c, "math64", "pow", &[], vec![u(3), u(4)]).unwrap(),
        vec![u(81)]
    );
    assert_eq!(
        call(&c, "math64", "mul_div", &[], vec![u(10), u(20), u(3)]).unwrap(),
        vec![u(66)]
    );
    assert_eq!(
        call(&c, "math64", "floor_log2", &[], vec![u(1024)]).unwrap(),
        vec![Value::U8(10)]
    );
    let err = call(&c, "math64", "mul_div", &[], vec![u(1), u(1), u(0)]).unwrap_err();
    assert!(
        matches!(&err, VmError::Arithmetic { reason: "division by zero", location, .. } if location == "0x1::math64::mul_div"),
        "{err}"
    );
}

#[test]
fn hex_round_trip_and_unimplemented_natives() {
    let c = stdlib();
    // The framework's base64 natives run here too; natives this VM lacks fail precisely.
    let enc = call(&c, "base64", "encode", &[], vec![bytes(b"hello")]).unwrap();
    assert_eq!(enc, vec![bytes(b"aGVsbG8=")]);
    let err = call(
        &c,
        "address",
        "to_string",
        &[],
        vec![Value::Address([0u8; 32])],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "missing native function 0x1::address::to_string"
    );
    let s = call(
        &c,
        "hex",
        "encode_to_string",
        &[],
        vec![bytes(&[0x01, 0xab, 0xff])],
    )
    .unwrap();
    assert_eq!(s, vec![Value::Struct(vec![bytes(b"01abff")])]);
    let back = call(&c, "hex", "decode_string", &[], s).unwrap();
    assert_eq!(back, vec![bytes(&[0x01, 0xab, 0xff])]);
}

#[test]
fn vector_and_option_generics() {
    let c = stdlib();
    let u64t = [TypeTag::U64];
    let mut v = call(
        &c,
        "vector",
        "range",
        &[],
        vec![Value::U64(0), Value::U64(5)],
    )
    .unwrap();
    assert_eq!(v, vec![u64s(&[0, 1, 2, 3, 4])]);
    let removed = call(
        &c,
        "vector",
        "remove",
        &u64t,
        vec![v.remove(0), Value::U64(1)],
    )
    .unwrap();
    assert_eq!(removed, vec![Value::U64(1)]);
    let r = call(
        &c,
        "vector",
        "index_of",
        &u64t,
        vec![u64s(&[5, 6, 7]), Value::U64(7)],
    )
    .unwrap();
    assert_eq!(r, vec![Value::Bool(true), Value::U64(2)]);
    let r = call(
        &c,
        "vector",
        "slice",
        &u64t,
        vec![u64s(&[5, 6, 7, 8]), Value::U64(1), Value::U64(3)],
    )
    .unwrap();
    assert_eq!(r, vec![u64s(&[6, 7])]);
    let some = call(&c, "option", "some", &u64t, vec![Value::U64(3)]).unwrap();
    assert_eq!(some, vec![Value::Struct(vec![u64s(&[3])])]);
    let is_some = call(&c, "option", "is_some", &u64t, some.clone()).unwrap();
    assert_eq!(is_some, vec![Value::Bool(true)]);
    let inner = call(&c, "option", "destroy_some", &u64t, some).unwrap();
    assert_eq!(inner, vec![Value::U64(3)]);
    let none = call(&c, "option", "none", &u64t, vec![]).unwrap();
    match call(&c, "option", "destroy_some", &u64t, none) {
        Err(VmError::Abort { location, .. }) => assert_eq!(location, "0x1::option::destroy_some"),
        other => panic!("expected abort, got {other:?}"),
    }
}

#[test]
fn fixed_point32() {
    let c = stdlib();
    let half = call(
        &c,
        "fixed_point32",
        "create_from_rational",
        &[],
        vec![Value::U64(1), Value::U64(2)],
    )
    .unwrap();
    let r = call(
        &c,
        "fixed_point32",
        "multiply_u64",
        &[],
        vec![Value::U64(10), half[0].clone()],
    )
    .unwrap();
    assert_eq!(r, vec![Value::U64(5)]);
}

#[test]
fn ordered_map_enum_based_collection() {
    use minitia_vm_move::interpreter::Reference;
    let c = stdlib();
    let kv = [TypeTag::U64, TypeTag::U64];
    let map = call(&c, "ordered_map", "new", &kv, vec![])
        .unwrap()
        .remove(0);
    assert!(
        matches!(map, Value::Variant(0, _)),
        "OrderedMap is an enum: {map:?}"
    );
    let cell = Reference::to_fresh(map, true);
    for (k, v) in [(3u64, 30u64), (1, 10), (2, 20)] {
        call(
            &c,
            "ordered_map",
            "add",
            &kv,
            vec![Value::Ref(cell.clone()), Value::U64(k), Value::U64(v)],
        )
        .unwrap();
    }
    let keys = call(
        &c,
        "ordered_map",
        "keys",
        &kv,
        vec![Value::Ref(cell.clone().freeze())],
    )
    .unwrap();
    assert_eq!(
        keys,
        vec![u64s(&[1, 2, 3])],
        "keys are kept sorted by cmp::compare"
    );
    let has = |k: u64| {
        call(
            &c,
            "ordered_map",
            "contains",
            &kv,
            vec![Value::Ref(cell.clone().freeze()), Value::U64(k)],
        )
        .unwrap()
    };
    assert_eq!(has(2), vec![Value::Bool(true)]);
    let removed = call(
        &c,
        "ordered_map",
        "remove",
        &kv,
        vec![Value::Ref(cell.clone()), Value::U64(2)],
    )
    .unwrap();
    assert_eq!(removed, vec![Value::U64(20)]);
    assert_eq!(has(2), vec![Value::Bool(false)]);
    // Adding an existing key aborts inside ordered_map.
    match call(
        &c,
        "ordered_map",
        "add",
        &kv,
        vec![Value::Ref(cell.clone()), Value::U64(1), Value::U64(0)],
    ) {
        Err(VmError::Abort { location, .. }) => {
            assert!(location.starts_with("0x1::ordered_map::"), "{location}")
        }
        other => panic!("expected abort, got {other:?}"),
    }
    let values = call(
        &c,
        "ordered_map",
        "values",
        &kv,
        vec![Value::Ref(cell.freeze())],
    )
    .unwrap();
    assert_eq!(values, vec![u64s(&[10, 30])]);
}

#[test]
fn from_bcs_decodes_with_type_layouts() {
    let c = stdlib();
    let r = call(
        &c,
        "from_bcs",
        "to_u64",
        &[],
        vec![bytes(&[2, 1, 0, 0, 0, 0, 0, 0])],
    )
    .unwrap();
    assert_eq!(r, vec![Value::U64(258)]);
    let r = call(
        &c,
        "from_bcs",
        "to_string",
        &[],
        vec![bytes(&[2, b'h', b'i'])],
    )
    .unwrap();
    assert_eq!(r, vec![Value::Struct(vec![bytes(b"hi")])]);
    // Wrong length: the native aborts.
    match call(&c, "from_bcs", "to_u64", &[], vec![bytes(&[1, 2])]) {
        Err(VmError::Abort { code, location, .. }) => {
            assert_eq!(
                code,
                minitia_vm_move::interpreter::natives::FROM_BCS_ABORT_CODE
            );
            assert_eq!(location, "0x1::from_bcs::to_u64");
        }
        other => panic!("expected abort, got {other:?}"),
    }
    // Invalid UTF-8 is rejected by the Move code after decoding.
    match call(&c, "from_bcs", "to_string", &[], vec![bytes(&[1, 0xff])]) {
        Err(VmError::Abort { location, .. }) => assert_eq!(location, "0x1::from_bcs::to_string"),
        other => panic!("expected abort, got {other:?}"),
    }
}
