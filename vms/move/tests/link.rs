//! Linker: dependencies must be loaded, imported handles must match visible definitions.

mod common;

use minitia_vm_move::file_format::*;
use minitia_vm_move::loader::{LinkError, ModuleCache};
use minitia_vm_move::{load_module, serialize_module};

fn addr(v: u8) -> AccountAddress {
    let mut a = [0u8; 32];
    a[31] = v;
    a
}

/// `0x1::A` with `fun f(u64)` of the given visibility.
fn callee(visibility: Visibility) -> CompiledModule {
    CompiledModule {
        version: 7,
        aptos_flavour: true,
        module_handles: vec![ModuleHandle {
            address: AddressIdentifierIndex(0),
            name: IdentifierIndex(0),
        }],
        identifiers: vec!["A".into(), "f".into()],
        address_identifiers: vec![addr(1)],
        signatures: vec![Signature(vec![]), Signature(vec![SignatureToken::U64])],
        function_handles: vec![FunctionHandle {
            module: ModuleHandleIndex(0),
            name: IdentifierIndex(1),
            parameters: SignatureIndex(1),
            return_: SignatureIndex(0),
            type_parameters: vec![],
            access_specifiers: None,
        }],
        function_defs: vec![FunctionDefinition {
            function: FunctionHandleIndex(0),
            visibility,
            is_entry: false,
            acquires_global_resources: vec![],
            code: Some(CodeUnit {
                locals: SignatureIndex(0),
                code: vec![Bytecode::Ret],
            }),
        }],
        ..Default::default()
    }
}

/// `0x2::B` importing `0x1::A::f` with the given parameter signature.
fn caller(param: SignatureToken) -> CompiledModule {
    CompiledModule {
        version: 7,
        aptos_flavour: true,
        module_handles: vec![
            ModuleHandle {
                address: AddressIdentifierIndex(0),
                name: IdentifierIndex(0),
            },
            ModuleHandle {
                address: AddressIdentifierIndex(1),
                name: IdentifierIndex(1),
            },
        ],
        identifiers: vec!["B".into(), "A".into(), "f".into()],
        address_identifiers: vec![addr(2), addr(1)],
        signatures: vec![Signature(vec![]), Signature(vec![param])],
        function_handles: vec![FunctionHandle {
            module: ModuleHandleIndex(1),
            name: IdentifierIndex(2),
            parameters: SignatureIndex(1),
            return_: SignatureIndex(0),
            type_parameters: vec![],
            access_specifiers: None,
        }],
        ..Default::default()
    }
}

fn checked(m: &CompiledModule) -> CompiledModule {
    load_module(&serialize_module(m)).unwrap()
}

#[test]
fn public_function_links() {
    let mut cache = ModuleCache::new();
    cache.publish(checked(&callee(Visibility::Public))).unwrap();
    let id = cache
        .publish(checked(&caller(SignatureToken::U64)))
        .unwrap();
    assert_eq!(id.to_string(), "0x2::B");
    assert_eq!(cache.len(), 2);
}

#[test]
fn missing_dependency_is_rejected() {
    let mut cache = ModuleCache::new();
    let err = cache
        .publish(checked(&caller(SignatureToken::U64)))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "0x2::B: ModuleHandles[1]: dependency 0x1::A is not loaded"
    );
}

#[test]
fn private_function_is_not_visible() {
    let mut cache = ModuleCache::new();
    cache
        .publish(checked(&callee(Visibility::Private)))
        .unwrap();
    let err = cache
        .publish(checked(&caller(SignatureToken::U64)))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "0x2::B: FunctionHandles[0]: 0x1::A::f is Private and not visible to 0x2::B"
    );
    // Friend visibility without a friend declaration is not enough either.
    let mut cache = ModuleCache::new();
    cache.publish(checked(&callee(Visibility::Friend))).unwrap();
    assert!(matches!(
        cache.publish(checked(&caller(SignatureToken::U64))),
        Err(LinkError::FunctionMismatch { index: 0, .. })
    ));
}

#[test]
fn signature_mismatch_is_rejected() {
    let mut cache = ModuleCache::new();
    cache.publish(checked(&callee(Visibility::Public))).unwrap();
    let err = cache
        .publish(checked(&caller(SignatureToken::U128)))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "0x2::B: FunctionHandles[0]: 0x1::A::f: parameter types differ from the declaration"
    );
}

#[test]
fn duplicate_publish_is_rejected() {
    let mut cache = ModuleCache::new();
    cache.publish(checked(&callee(Visibility::Public))).unwrap();
    let err = cache
        .publish(checked(&callee(Visibility::Public)))
        .unwrap_err();
    assert_eq!(err.to_string(), "0x1::A: already published");
}

#[test]
fn corpus_module_without_dependencies_fails_to_link() {
    let coin = common::corpus_modules()
        .into_iter()
        .find(|(n, _)| n == "stdlib/coin.mv")
        .unwrap()
        .1;
    let mut cache = ModuleCache::new();
    let err = cache.publish(load_module(&coin).unwrap()).unwrap_err();
    assert!(matches!(err, LinkError::MissingDependency { .. }), "{err}");
    assert!(
        err.to_string().starts_with("0x1::coin: ModuleHandles["),
        "{err}"
    );
}

#[test]
fn unchecked_modules_are_rejected_at_publish() {
    let mut m = callee(Visibility::Public);
    m.function_handles[0].parameters = SignatureIndex(42);
    let mut cache = ModuleCache::new();
    let err = cache.publish(m.clone()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "A: FunctionHandles[0]: signature index 42 out of bounds (len 2)"
    );
    assert!(matches!(
        cache.publish_bundle(vec![m]),
        Err(LinkError::Check { .. })
    ));
    assert!(cache.is_empty());
}
