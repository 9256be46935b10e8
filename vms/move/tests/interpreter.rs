//! Interpreter tests on modules compiled from tests/move-src (see tests/compile.sh).

use std::path::PathBuf;

use minitia_vm_move::interpreter::{module_id, InMemoryStorage, Session, Storage, Value};
use minitia_vm_move::loader::ModuleCache;
use minitia_vm_move::types::{address_from_u64, StructTag, TypeTag};
use minitia_vm_move::u256::U256;
use minitia_vm_move::VmError;

const GAS: u64 = 1_000_000;

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

fn run_with(
    cache: &ModuleCache,
    storage: &dyn Storage,
    module: &str,
    function: &str,
    ty_args: &[TypeTag],
    args: Vec<Value>,
) -> Result<Vec<Value>, VmError> {
    let mut session = Session::new(cache, storage, GAS);
    session.execute_function(&module_id(0x42, module), function, ty_args, args)
}

fn run(module: &str, function: &str, args: Vec<Value>) -> Result<Vec<Value>, VmError> {
    run_with(
        &cache(),
        &InMemoryStorage::new(),
        module,
        function,
        &[],
        args,
    )
}

fn u64s(v: &[u64]) -> Value {
    Value::Vector(v.iter().map(|x| Value::U64(*x)).collect())
}

fn bytes(v: &[u8]) -> Value {
    Value::Vector(v.iter().map(|x| Value::U8(*x)).collect())
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn assert_arith(r: Result<Vec<Value>, VmError>, reason: &str, function: &str) {
    match r {
        Err(VmError::Arithmetic {
            reason: got,
            location,
            ..
        }) => {
            assert_eq!(got, reason);
            assert_eq!(location, format!("0x42::arith::{function}"));
        }
        other => panic!("expected arithmetic error, got {other:?}"),
    }
}

#[test]
fn integer_arithmetic_and_overflow() {
    assert_eq!(
        run("arith", "add_u8", vec![Value::U8(200), Value::U8(55)]).unwrap(),
        vec![Value::U8(255)]
    );
    assert_arith(
        run("arith", "add_u8", vec![Value::U8(200), Value::U8(56)]),
        "addition overflow",
        "add_u8",
    );
    assert_arith(
        run("arith", "sub_u64", vec![Value::U64(1), Value::U64(2)]),
        "subtraction underflow",
        "sub_u64",
    );
    assert_arith(
        run(
            "arith",
            "mul_u128",
            vec![Value::U128(u128::MAX), Value::U128(2)],
        ),
        "multiplication overflow",
        "mul_u128",
    );
    assert_arith(
        run("arith", "div_u32", vec![Value::U32(1), Value::U32(0)]),
        "division by zero",
        "div_u32",
    );
    assert_arith(
        run("arith", "mod_u16", vec![Value::U16(1), Value::U16(0)]),
        "modulo by zero",
        "mod_u16",
    );
    assert_eq!(
        run("arith", "mod_u16", vec![Value::U16(17), Value::U16(5)]).unwrap(),
        vec![Value::U16(2)]
    );
    assert_eq!(
        run("arith", "div_u32", vec![Value::U32(17), Value::U32(5)]).unwrap(),
        vec![Value::U32(3)]
    );
    assert_arith(
        run(
            "arith",
            "add_u256",
            vec![Value::U256(U256::MAX), Value::U256(U256::from(1))],
        ),
        "addition overflow",
        "add_u256",
    );
    let two_128 = U256::from(u128::MAX).checked_add(U256::from(1)).unwrap();
    assert_eq!(
        run(
            "arith",
            "mul_u256",
            vec![Value::U256(two_128), Value::U256(U256::from(4))]
        )
        .unwrap(),
        vec![Value::U256(two_128.shift_left(2))]
    );
}

#[test]
fn shifts_bits_casts_and_comparisons() {
    assert_eq!(
        run("arith", "shl_u64", vec![Value::U64(3), Value::U8(63)]).unwrap(),
        vec![Value::U64(1 << 63)]
    );
    assert_arith(
        run("arith", "shl_u64", vec![Value::U64(1), Value::U8(64)]),
        "shift amount not below the bit width",
        "shl_u64",
    );
    assert_eq!(
        run(
            "arith",
            "shr_u256",
            vec![Value::U256(U256::MAX), Value::U8(255)]
        )
        .unwrap(),
        vec![Value::U256(U256::from(1))]
    );
    assert_eq!(
        run(
            "arith",
            "bits",
            vec![Value::U32(0b1100), Value::U32(0b1010)]
        )
        .unwrap(),
        vec![Value::U32(0b1000), Value::U32(0b1110), Value::U32(0b0110)]
    );
    assert_eq!(
        run("arith", "cast_to_u8", vec![Value::U64(255)]).unwrap(),
        vec![Value::U8(255)]
    );
    assert_arith(
        run("arith", "cast_to_u8", vec![Value::U64(256)]),
        "cast of a value out of the target range",
        "cast_to_u8",
    );
    assert_eq!(
        run("arith", "widen", vec![Value::U8(7)]).unwrap(),
        vec![
            Value::U16(7),
            Value::U32(7),
            Value::U64(7),
            Value::U128(7),
            Value::U256(U256::from(7))
        ]
    );
    let b = Value::Bool;
    assert_eq!(
        run("arith", "cmp", vec![Value::U64(1), Value::U64(2)]).unwrap(),
        vec![b(true), b(false), b(true), b(false), b(false), b(true)]
    );
    assert_eq!(
        run("arith", "cmp", vec![Value::U64(2), Value::U64(2)]).unwrap(),
        vec![b(false), b(false), b(true), b(true), b(true), b(false)]
    );
    assert_eq!(
        run("arith", "logic", vec![b(true), b(false)]).unwrap(),
        vec![b(false), b(true), b(false)]
    );
}

#[test]
fn loops_recursion_constants_and_aborts() {
    assert_eq!(
        run("arith", "sum_to", vec![Value::U64(100)]).unwrap(),
        vec![Value::U64(5050)]
    );
    assert_eq!(
        run("arith", "fact", vec![Value::U128(20)]).unwrap(),
        vec![Value::U128(2_432_902_008_176_640_000)]
    );
    assert_eq!(
        run("arith", "check_even", vec![Value::U64(8), Value::U64(9)]).unwrap(),
        vec![Value::U64(4)]
    );
    match run("arith", "check_even", vec![Value::U64(7), Value::U64(9)]) {
        Err(VmError::Abort { code, location, .. }) => {
            assert_eq!((code, location.as_str()), (9, "0x42::arith::check_even"))
        }
        other => panic!("expected abort, got {other:?}"),
    }
    assert_eq!(
        run("arith", "constants", vec![]).unwrap(),
        vec![Value::U256(U256::MAX), u64s(&[1, 2, 3])]
    );
}

#[test]
fn gas_is_metered_and_limited() {
    let cache = cache();
    let storage = InMemoryStorage::new();
    let gas_for = |n: u64| {
        let mut s = Session::new(&cache, &storage, GAS);
        s.execute_function(
            &module_id(0x42, "arith"),
            "sum_to",
            &[],
            vec![Value::U64(n)],
        )
        .unwrap();
        s.gas_used()
    };
    let (g10, g10_again, g20) = (gas_for(10), gas_for(10), gas_for(20));
    assert_eq!(g10, g10_again, "gas must be deterministic");
    assert!(g20 > g10 && g10 > 0, "{g10} {g20}");
    let mut s = Session::new(&cache, &storage, 10_000);
    match s.execute_function(&module_id(0x42, "arith"), "spin", &[], vec![]) {
        Err(VmError::OutOfGas { limit, needed }) => assert!(limit == 10_000 && needed > limit),
        other => panic!("expected out of gas, got {other:?}"),
    }
}

#[test]
fn structs_generics_and_references() {
    let point = |x, y| Value::Struct(vec![Value::U64(x), Value::U64(y)]);
    assert_eq!(
        run("data", "make_point", vec![Value::U64(1), Value::U64(2)]).unwrap(),
        vec![point(1, 2)]
    );
    assert_eq!(
        run("data", "point_sum", vec![point(3, 4)]).unwrap(),
        vec![Value::U64(7)]
    );
    assert_eq!(
        run(
            "data",
            "translated",
            vec![Value::U64(1), Value::U64(2), Value::U64(5)]
        )
        .unwrap(),
        vec![point(6, 3)]
    );
    assert_eq!(
        run("data", "box_of_point", vec![Value::U64(21)]).unwrap(),
        vec![Value::U64(42)]
    );
    let r = run_with(
        &cache(),
        &InMemoryStorage::new(),
        "data",
        "swap_pair",
        &[TypeTag::U8, TypeTag::Bool],
        vec![Value::U8(1), Value::Bool(true)],
    )
    .unwrap();
    assert_eq!(
        r,
        vec![Value::Struct(vec![Value::Bool(true), Value::U8(1)])]
    );
    assert_eq!(
        run("data", "nested_generic", vec![Value::U8(9)]).unwrap(),
        vec![Value::Struct(vec![Value::Struct(vec![bytes(&[9, 9])])])]
    );
    assert_eq!(
        run(
            "data",
            "generic_field",
            vec![Value::Struct(vec![Value::U64(5)])]
        )
        .unwrap(),
        vec![Value::U64(5)]
    );
    assert_eq!(
        run("data", "freeze_and_read", vec![point(2, 3)]).unwrap(),
        vec![Value::U64(5)]
    );
    assert_eq!(
        run("data", "points_eq", vec![point(1, 2), point(1, 2)]).unwrap(),
        vec![Value::Bool(true)]
    );
    assert_eq!(
        run("data", "points_eq", vec![point(1, 2), point(2, 1)]).unwrap(),
        vec![Value::Bool(false)]
    );
}

#[test]
fn vectors() {
    assert_eq!(
        run("data", "vec_ops", vec![]).unwrap(),
        vec![Value::U64(3), u64s(&[40, 25, 10]), Value::U64(30)]
    );
    assert_eq!(
        run("data", "vec_literals", vec![]).unwrap(),
        vec![bytes(&[1, 2, 3]), Value::U64(3)]
    );
    assert_eq!(
        run("data", "reversed", vec![u64s(&[1, 2, 3, 4])]).unwrap(),
        vec![u64s(&[4, 3, 2, 1])]
    );
    assert_eq!(
        run("data", "move_range_demo", vec![]).unwrap(),
        vec![u64s(&[1, 5]), u64s(&[10, 2, 3, 4, 20])]
    );
    assert_eq!(
        run("data", "vec_out_of_bounds", vec![Value::U64(1)]).unwrap(),
        vec![Value::U64(2)]
    );
    match run("data", "vec_out_of_bounds", vec![Value::U64(2)]) {
        Err(VmError::Vector {
            reason, location, ..
        }) => {
            assert_eq!(reason, "index 2 out of bounds (len 2)");
            assert_eq!(location, "0x42::data::vec_out_of_bounds");
        }
        other => panic!("expected vector error, got {other:?}"),
    }
}

#[test]
fn enums_and_pattern_matching() {
    let area = |shape: Value| run_shape_area(shape);
    let circle = run("shapes", "circle", vec![Value::U64(2)])
        .unwrap()
        .remove(0);
    assert_eq!(circle, Value::Variant(0, vec![Value::U64(2)]));
    assert_eq!(area(circle), 12);
    let rect = run("shapes", "rect", vec![Value::U64(3), Value::U64(4)])
        .unwrap()
        .remove(0);
    assert_eq!(area(rect.clone()), 12);
    assert_eq!(area(Value::Variant(2, vec![])), 0);
    assert_eq!(
        run("shapes", "is_rect", vec![rect]).unwrap(),
        vec![Value::Bool(true)]
    );
    assert_eq!(
        run(
            "shapes",
            "is_rect",
            vec![Value::Variant(0, vec![Value::U64(1)])]
        )
        .unwrap(),
        vec![Value::Bool(false)]
    );
    assert_eq!(
        run(
            "shapes",
            "rect_width_after",
            vec![Value::U64(3), Value::U64(4), Value::U64(2)]
        )
        .unwrap(),
        vec![Value::U64(5)]
    );
}

fn run_shape_area(shape: Value) -> u64 {
    match run("shapes", "area", vec![shape]).unwrap().as_slice() {
        [Value::U64(a)] => *a,
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn global_storage_round_trip() {
    let cache = cache();
    let mut storage = InMemoryStorage::new();
    let alice = address_from_u64(0xA);
    let bank = module_id(0x42, "bank");

    // Open an account: one write, BCS of Account { balance: 100, owner: alice }.
    let mut s = Session::new(&cache, &storage, GAS);
    s.execute_function(
        &bank,
        "open",
        &[],
        vec![Value::Signer(alice), Value::U64(100)],
    )
    .unwrap();
    let changes = s.finish().unwrap();
    let tag = StructTag {
        module: bank.clone(),
        name: "Account".into(),
        type_args: vec![],
    };
    let mut expected = 100u64.to_le_bytes().to_vec();
    expected.extend_from_slice(&alice);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes.get(&(alice, tag.clone())), Some(&Some(expected)));
    assert_eq!(tag.to_string(), "0x42::bank::Account");
    storage.apply(changes);

    // Deposit, read back in a later session.
    let mut s = Session::new(&cache, &storage, GAS);
    s.execute_function(
        &bank,
        "deposit",
        &[],
        vec![Value::Address(alice), Value::U64(50)],
    )
    .unwrap();
    storage.apply(s.finish().unwrap());
    let r = run_with(
        &cache,
        &storage,
        "bank",
        "balance",
        &[],
        vec![Value::Address(alice)],
    )
    .unwrap();
    assert_eq!(r, vec![Value::U64(150)]);
    let nobody = run_with(
        &cache,
        &storage,
        "bank",
        "balance",
        &[],
        vec![Value::Address(address_from_u64(0xB))],
    );
    assert_eq!(nobody.unwrap(), vec![Value::U64(0)]);

    // Failing withdraw aborts with the module's error code; open twice fails.
    match run_with(
        &cache,
        &storage,
        "bank",
        "withdraw",
        &[],
        vec![Value::Signer(alice), Value::U64(151)],
    ) {
        Err(VmError::Abort {
            code: 7, location, ..
        }) => assert_eq!(location, "0x42::bank::withdraw"),
        other => panic!("expected abort 7, got {other:?}"),
    }
    match run_with(
        &cache,
        &storage,
        "bank",
        "open",
        &[],
        vec![Value::Signer(alice), Value::U64(1)],
    ) {
        Err(VmError::ResourceAlreadyExists {
            resource, address, ..
        }) => {
            assert_eq!(
                (resource.as_str(), address.as_str()),
                ("0x42::bank::Account", "0xa")
            )
        }
        other => panic!("expected already-exists, got {other:?}"),
    }
    match run_with(
        &cache,
        &storage,
        "bank",
        "deposit",
        &[],
        vec![Value::Address(address_from_u64(0xB)), Value::U64(1)],
    ) {
        Err(VmError::ResourceMissing { address, .. }) => assert_eq!(address, "0xb"),
        other => panic!("expected missing resource, got {other:?}"),
    }

    // Close: returns the balance and deletes the resource.
    let mut s = Session::new(&cache, &storage, GAS);
    let r = s
        .execute_function(&bank, "close", &[], vec![Value::Signer(alice)])
        .unwrap();
    assert_eq!(r, vec![Value::U64(150)]);
    let changes = s.finish().unwrap();
    assert_eq!(changes.get(&(alice, tag)), Some(&None));
    storage.apply(changes);
    assert!(storage.is_empty());
}

#[test]
fn generic_resources_are_keyed_by_instantiation() {
    let cache = cache();
    let mut storage = InMemoryStorage::new();
    let alice = address_from_u64(0xA);
    let bank = module_id(0x42, "bank");
    let mut s = Session::new(&cache, &storage, GAS);
    s.execute_function(
        &bank,
        "store_vault",
        &[TypeTag::U8],
        vec![Value::Signer(alice), Value::U128(77)],
    )
    .unwrap();
    storage.apply(s.finish().unwrap());
    let has = |t: TypeTag| {
        run_with(
            &cache,
            &storage,
            "bank",
            "has_vault",
            &[t],
            vec![Value::Address(alice)],
        )
        .unwrap()
    };
    assert_eq!(has(TypeTag::U8), vec![Value::Bool(true)]);
    assert_eq!(has(TypeTag::U64), vec![Value::Bool(false)]);
    let amount = run_with(
        &cache,
        &storage,
        "bank",
        "vault_amount",
        &[TypeTag::U8],
        vec![Value::Address(alice)],
    );
    assert_eq!(amount.unwrap(), vec![Value::U128(77)]);
}

#[test]
fn natives_bcs_hash_signer_string() {
    assert_eq!(
        run("natives", "bcs_of_u64", vec![Value::U64(258)]).unwrap(),
        vec![bytes(&[2, 1, 0, 0, 0, 0, 0, 0])]
    );
    assert_eq!(
        run(
            "natives",
            "bcs_of_vec",
            vec![Value::Vector(vec![Value::U16(1), Value::U16(0x0203)])]
        )
        .unwrap(),
        vec![bytes(&[2, 1, 0, 3, 2])]
    );
    let a = address_from_u64(0x1234);
    assert_eq!(
        run("natives", "bcs_of_address", vec![Value::Address(a)]).unwrap(),
        vec![bytes(&a)]
    );
    assert_eq!(
        run("natives", "sha2", vec![bytes(b"abc")]).unwrap(),
        vec![bytes(&hex(
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        ))]
    );
    assert_eq!(
        run("natives", "sha3", vec![bytes(b"abc")]).unwrap(),
        vec![bytes(&hex(
            "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"
        ))]
    );
    assert_eq!(
        run("natives", "signer_address", vec![Value::Signer(a)]).unwrap(),
        vec![Value::Address(a)]
    );
    assert_eq!(
        run("natives", "string_demo", vec![]).unwrap(),
        vec![Value::U64(10), bytes(b"move"), Value::U64(6)]
    );
    match run("natives", "bad_utf8", vec![]) {
        Err(VmError::Abort {
            code: 1, location, ..
        }) => assert_eq!(location, "0x1::string::utf8"),
        other => panic!("expected abort 1 in string::utf8, got {other:?}"),
    }
}

#[test]
fn host_call_errors_are_reported() {
    let cache = cache();
    let storage = InMemoryStorage::new();
    let mut s = Session::new(&cache, &storage, GAS);
    let err = s
        .execute_function(&module_id(0x42, "arith"), "nope", &[], vec![])
        .unwrap_err();
    assert_eq!(err.to_string(), "not found: function 0x42::arith::nope");
    let err = s
        .execute_function(&module_id(0x42, "arith"), "sum_to", &[], vec![])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid call: 0x42::arith::sum_to expects 1 argument(s), got 0"
    );
    let err = s
        .execute_function(&module_id(0x42, "data"), "boxed", &[], vec![Value::U8(1)])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid call: 0x42::data::boxed expects 1 type argument(s), got 0"
    );
}

#[test]
fn scripts_run_against_published_modules() {
    let cache = cache();
    let mut storage = InMemoryStorage::new();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/move-build/scripts/open_and_deposit_0.mv");
    let script = minitia_vm_move::load_script(&std::fs::read(path).unwrap()).unwrap();
    let alice = address_from_u64(0xA);
    let mut s = Session::new(&cache, &storage, GAS);
    s.execute_script(
        &script,
        &[],
        vec![Value::Signer(alice), Value::U64(5), Value::U64(6)],
    )
    .unwrap();
    storage.apply(s.finish().unwrap());
    let r = run_with(
        &cache,
        &storage,
        "bank",
        "balance",
        &[],
        vec![Value::Address(alice)],
    )
    .unwrap();
    assert_eq!(r, vec![Value::U64(11)]);
    // Running it again fails inside the called module.
    let mut s = Session::new(&cache, &storage, GAS);
    let err = s
        .execute_script(
            &script,
            &[],
            vec![Value::Signer(alice), Value::U64(5), Value::U64(6)],
        )
        .unwrap_err();
    assert!(
        matches!(err, VmError::ResourceAlreadyExists { .. }),
        "{err}"
    );
    let err = s.execute_script(&script, &[], vec![]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid call: 0x0::<SELF>::main expects 3 argument(s), got 0"
    );
}
