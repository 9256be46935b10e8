//! Borrow checking, `acquires`, recursive structs and instantiation loops: hand-built
//! modules that are well typed but unsafe are rejected with the precise reason, and safe
//! variants are accepted.

use minitia_vm_move::file_format::*;
use minitia_vm_move::verifier::{verify_module, VerifyError, VerifyErrorKind as K};
use minitia_vm_move::{load_module, serialize_module};

use Bytecode::*;
use SignatureToken as T;

/// One function of the test module.
struct Fun {
    params: Vec<T>,
    ret: Vec<T>,
    locals: Vec<T>,
    type_params: usize,
    acquires: Vec<u16>,
    code: Vec<Bytecode>,
}

fn fun(params: Vec<T>, ret: Vec<T>, locals: Vec<T>, code: Vec<Bytecode>) -> Fun {
    Fun {
        params,
        ret,
        locals,
        type_params: 0,
        acquires: vec![],
        code,
    }
}

fn sig(pool: &mut Vec<Signature>, tokens: Vec<T>) -> SignatureIndex {
    let s = Signature(tokens);
    let i = pool.iter().position(|x| *x == s).unwrap_or_else(|| {
        pool.push(s);
        pool.len() - 1
    });
    SignatureIndex(i as u16)
}

/// `0x1::M` with `struct R has key { x: u64 }` (def 0), `struct P has copy, drop { a: u64,
/// b: u64 }` (def 1), field handles R.x (0), P.a (1), P.b (2), and functions `f0`, `f1`, ...
/// Calls use function handle indices; `extra_structs` adds struct definitions (fields given).
fn module_with(funs: Vec<Fun>, extra_structs: Vec<(AbilitySet, Vec<T>)>) -> CompiledModule {
    let mut addr = [0u8; 32];
    addr[31] = 1;
    let mut identifiers: Vec<String> = ["M", "R", "P", "x", "a", "b"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut signatures = Vec::new();
    let key = AbilitySet::EMPTY.with(Ability::Key);
    let copy_drop = AbilitySet::EMPTY.with(Ability::Copy).with(Ability::Drop);
    let mut struct_handles = vec![
        StructHandle {
            module: ModuleHandleIndex(0),
            name: IdentifierIndex(1),
            abilities: key,
            type_parameters: vec![],
        },
        StructHandle {
            module: ModuleHandleIndex(0),
            name: IdentifierIndex(2),
            abilities: copy_drop,
            type_parameters: vec![],
        },
    ];
    let field = |name: u16, signature: T| FieldDefinition {
        name: IdentifierIndex(name),
        signature,
    };
    let mut struct_defs = vec![
        StructDefinition {
            struct_handle: StructHandleIndex(0),
            field_information: StructFieldInformation::Declared(vec![field(3, T::U64)]),
        },
        StructDefinition {
            struct_handle: StructHandleIndex(1),
            field_information: StructFieldInformation::Declared(vec![
                field(4, T::U64),
                field(5, T::U64),
            ]),
        },
    ];
    for (i, (abilities, fields)) in extra_structs.into_iter().enumerate() {
        identifiers.push(format!("S{i}"));
        let name = IdentifierIndex((identifiers.len() - 1) as u16);
        struct_handles.push(StructHandle {
            module: ModuleHandleIndex(0),
            name,
            abilities,
            type_parameters: vec![],
        });
        struct_defs.push(StructDefinition {
            struct_handle: StructHandleIndex((struct_handles.len() - 1) as u16),
            field_information: StructFieldInformation::Declared(
                fields
                    .into_iter()
                    .enumerate()
                    .map(|(k, t)| field(3 + k as u16, t))
                    .collect(),
            ),
        });
    }
    let mut function_handles = Vec::new();
    let mut function_defs = Vec::new();
    for (i, f) in funs.into_iter().enumerate() {
        identifiers.push(format!("f{i}"));
        let name = IdentifierIndex((identifiers.len() - 1) as u16);
        function_handles.push(FunctionHandle {
            module: ModuleHandleIndex(0),
            name,
            parameters: sig(&mut signatures, f.params),
            return_: sig(&mut signatures, f.ret),
            type_parameters: vec![AbilitySet::EMPTY; f.type_params],
            access_specifiers: None,
        });
        function_defs.push(FunctionDefinition {
            function: FunctionHandleIndex(i as u16),
            visibility: Visibility::Public,
            is_entry: false,
            acquires_global_resources: f.acquires.into_iter().map(StructDefinitionIndex).collect(),
            code: Some(CodeUnit {
                locals: sig(&mut signatures, f.locals),
                code: f.code,
            }),
        });
    }
    CompiledModule {
        version: 7,
        aptos_flavour: true,
        module_handles: vec![ModuleHandle {
            address: AddressIdentifierIndex(0),
            name: IdentifierIndex(0),
        }],
        identifiers,
        address_identifiers: vec![addr],
        signatures,
        struct_handles,
        struct_defs,
        field_handles: vec![
            FieldHandle {
                owner: StructDefinitionIndex(0),
                field: 0,
            },
            FieldHandle {
                owner: StructDefinitionIndex(1),
                field: 0,
            },
            FieldHandle {
                owner: StructDefinitionIndex(1),
                field: 1,
            },
        ],
        function_handles,
        function_defs,
        ..Default::default()
    }
}

fn verify(m: CompiledModule) -> Result<(), VerifyError> {
    let m = load_module(&serialize_module(&m)).unwrap();
    verify_module(&m)
}

fn r() -> T {
    T::Struct(StructHandleIndex(0))
}
fn p() -> T {
    T::Struct(StructHandleIndex(1))
}
fn imm(t: T) -> T {
    T::Reference(Box::new(t))
}
fn mutr(t: T) -> T {
    T::MutableReference(Box::new(t))
}

/// Asserts a reference-safety rejection naming `status` at `code[pc]` of function 0.
#[track_caller]
fn assert_borrow_error(result: Result<(), VerifyError>, status: &str, pc: usize) {
    let e = result.expect_err("unsafe code must be rejected");
    match &e.kind {
        K::ReferenceSafety(msg) => assert!(msg.contains(status), "{e}"),
        other => panic!("expected a reference-safety error {status}, got {other:?} ({e})"),
    }
    assert!(
        e.location.ends_with(&format!(".code[{pc}]")),
        "wrong location: {}",
        e.location
    );
}

#[test]
fn returning_a_reference_to_a_local_dangles() {
    // fun f0(): &u64 { let x = 1; &x }
    let code = vec![LdU64(1), StLoc(0), ImmBorrowLoc(0), Ret];
    let m = module_with(
        vec![fun(vec![], vec![imm(T::U64)], vec![T::U64], code)],
        vec![],
    );
    assert_borrow_error(verify(m), "UNSAFE_RET_LOCAL_OR_RESOURCE_STILL_BORROWED", 3);

    // Returning a reference derived from a reference parameter is fine:
    // fun f0(p: &P): &u64 { &p.a }
    let code = vec![MoveLoc(0), ImmBorrowField(FieldHandleIndex(1)), Ret];
    let m = module_with(
        vec![fun(vec![imm(p())], vec![imm(T::U64)], vec![], code)],
        vec![],
    );
    verify(m).unwrap();
}

#[test]
fn dangling_reference_through_a_field_of_a_local() {
    // fun f0(): &mut u64 { let s = P { a: 1, b: 2 }; &mut s.a }
    let code = vec![
        LdU64(1),
        LdU64(2),
        Pack(StructDefinitionIndex(1)),
        StLoc(0),
        MutBorrowLoc(0),
        MutBorrowField(FieldHandleIndex(1)),
        Ret,
    ];
    let m = module_with(
        vec![fun(vec![], vec![mutr(T::U64)], vec![p()], code)],
        vec![],
    );
    assert_borrow_error(verify(m), "UNSAFE_RET_LOCAL_OR_RESOURCE_STILL_BORROWED", 6);
}

#[test]
fn write_through_a_borrowed_reference() {
    // let x = 0; let m = &mut x; let f = freeze(copy m); *m = 5; *f
    let code = vec![
        LdU64(0),
        StLoc(0),
        MutBorrowLoc(0),
        StLoc(1),
        CopyLoc(1),
        FreezeRef,
        StLoc(2),
        LdU64(5),
        MoveLoc(1),
        WriteRef,
        MoveLoc(2),
        ReadRef,
        Pop,
        Ret,
    ];
    let locals = vec![T::U64, mutr(T::U64), imm(T::U64)];
    let m = module_with(
        vec![fun(vec![], vec![], locals.clone(), code.clone())],
        vec![],
    );
    assert_borrow_error(verify(m), "WRITEREF_EXISTS_BORROW_ERROR", 9);

    // Reading `f` before the write releases it: accepted.
    let mut ok = code;
    let tail = ok.split_off(7); // LdU64(5), MoveLoc(1), WriteRef, MoveLoc(2), ReadRef, Pop, Ret
    ok.extend([MoveLoc(2), ReadRef, Pop]);
    ok.extend([tail[0].clone(), tail[1].clone(), tail[2].clone(), Ret]);
    let m = module_with(vec![fun(vec![], vec![], locals, ok)], vec![]);
    verify(m).unwrap();
}

#[test]
fn local_moved_copied_or_overwritten_while_borrowed() {
    let locals = vec![T::U64, imm(T::U64)];
    // let x = 0; let r = &x; move x; *r
    let moved = vec![
        LdU64(0),
        StLoc(0),
        ImmBorrowLoc(0),
        StLoc(1),
        MoveLoc(0),
        Pop,
        MoveLoc(1),
        ReadRef,
        Pop,
        Ret,
    ];
    let m = module_with(vec![fun(vec![], vec![], locals.clone(), moved)], vec![]);
    assert_borrow_error(verify(m), "MOVELOC_EXISTS_BORROW_ERROR", 4);

    // let x = 0; let r = &x; x = 1; *r
    let overwritten = vec![
        LdU64(0),
        StLoc(0),
        ImmBorrowLoc(0),
        StLoc(1),
        LdU64(1),
        StLoc(0),
        MoveLoc(1),
        ReadRef,
        Pop,
        Ret,
    ];
    let m = module_with(vec![fun(vec![], vec![], locals, overwritten)], vec![]);
    assert_borrow_error(verify(m), "STLOC_UNSAFE_TO_DESTROY_ERROR", 5);

    // let x = 0; let r = &mut x; copy x; *r = 1
    let copied = vec![
        LdU64(0),
        StLoc(0),
        MutBorrowLoc(0),
        StLoc(1),
        CopyLoc(0),
        Pop,
        LdU64(1),
        MoveLoc(1),
        WriteRef,
        Ret,
    ];
    let m = module_with(
        vec![fun(vec![], vec![], vec![T::U64, mutr(T::U64)], copied)],
        vec![],
    );
    assert_borrow_error(verify(m), "COPYLOC_EXISTS_BORROW_ERROR", 4);
}

#[test]
fn mutable_reference_passed_to_a_call_while_borrowed() {
    // f1(r: &mut u64) {}
    let callee = fun(
        vec![mutr(T::U64)],
        vec![],
        vec![],
        vec![MoveLoc(0), Pop, Ret],
    );
    // f0(r: &mut u64) { let f = freeze(copy r); f1(r); *f }
    let code = vec![
        CopyLoc(0),
        FreezeRef,
        StLoc(1),
        MoveLoc(0),
        Call(FunctionHandleIndex(1)),
        MoveLoc(1),
        ReadRef,
        Pop,
        Ret,
    ];
    let caller = fun(vec![mutr(T::U64)], vec![], vec![imm(T::U64)], code);
    let m = module_with(vec![caller, callee], vec![]);
    assert_borrow_error(verify(m), "CALL_BORROWED_MUTABLE_REFERENCE_ERROR", 4);
}

#[test]
fn field_borrows_of_distinct_fields_coexist_but_not_of_a_borrowed_whole() {
    // f0(p: &mut P) { let a = &mut p.a; let b = &p.b; *a = *b; }
    let ok = vec![
        CopyLoc(0),
        MutBorrowField(FieldHandleIndex(1)),
        StLoc(1),
        MoveLoc(0),
        ImmBorrowField(FieldHandleIndex(2)),
        ReadRef,
        MoveLoc(1),
        WriteRef,
        Ret,
    ];
    let m = module_with(
        vec![fun(vec![mutr(p())], vec![], vec![mutr(T::U64)], ok)],
        vec![],
    );
    verify(m).unwrap();

    // f0(p: &mut P) { let a = &mut p.a; let w = *p; *a = 1; }  -- reading all of p while
    // p.a is mutably borrowed.
    let bad = vec![
        CopyLoc(0),
        MutBorrowField(FieldHandleIndex(1)),
        StLoc(1),
        MoveLoc(0),
        ReadRef,
        Pop,
        LdU64(1),
        MoveLoc(1),
        WriteRef,
        Ret,
    ];
    let m = module_with(
        vec![fun(vec![mutr(p())], vec![], vec![mutr(T::U64)], bad)],
        vec![],
    );
    assert_borrow_error(verify(m), "READREF_EXISTS_MUTABLE_BORROW_ERROR", 4);
}

#[test]
fn globals_borrowed_twice_or_moved_while_borrowed() {
    let r_def = StructDefinitionIndex(0);
    // f0(a: address) acquires R { let x = borrow_global_mut<R>(a); let y = borrow_global_mut<R>(a); ... }
    let code = vec![
        CopyLoc(0),
        MutBorrowGlobal(r_def),
        StLoc(1),
        CopyLoc(0),
        MutBorrowGlobal(r_def),
        Pop,
        MoveLoc(1),
        Pop,
        Ret,
    ];
    let mut f = fun(vec![T::Address], vec![], vec![mutr(r())], code);
    f.acquires = vec![0];
    let m = module_with(vec![f], vec![]);
    assert_borrow_error(verify(m), "GLOBAL_REFERENCE_ERROR", 4);

    // f0(a) acquires R { let x = borrow_global<R>(a); let R { x: _ } = move_from<R>(a); *x }
    let code = vec![
        CopyLoc(0),
        ImmBorrowGlobal(r_def),
        StLoc(1),
        CopyLoc(0),
        MoveFrom(r_def),
        Unpack(r_def),
        Pop,
        MoveLoc(1),
        Pop,
        Ret,
    ];
    let mut f = fun(vec![T::Address], vec![], vec![imm(r())], code);
    f.acquires = vec![0];
    let m = module_with(vec![f], vec![]);
    assert_borrow_error(verify(m), "GLOBAL_REFERENCE_ERROR", 4);

    // Two immutable borrows of the same global are fine...
    let two_reads = vec![
        CopyLoc(0),
        ImmBorrowGlobal(r_def),
        Pop,
        MoveLoc(0),
        ImmBorrowGlobal(r_def),
        Pop,
        Ret,
    ];
    let mut f = fun(vec![T::Address], vec![], vec![], two_reads);
    f.acquires = vec![0];
    verify(module_with(vec![f], vec![])).unwrap();
    // ...but a reference into global storage may not escape the function.
    let escape = vec![MoveLoc(0), ImmBorrowGlobal(r_def), Ret];
    let mut f = fun(vec![T::Address], vec![imm(r())], vec![], escape);
    f.acquires = vec![0];
    assert_borrow_error(
        verify(module_with(vec![f], vec![])),
        "UNSAFE_RET_LOCAL_OR_RESOURCE_STILL_BORROWED",
        2,
    );
}

#[test]
fn call_acquiring_a_borrowed_global() {
    let r_def = StructDefinitionIndex(0);
    // f1(a) acquires R { let R { x: _ } = move_from<R>(a) }
    let mut callee = fun(
        vec![T::Address],
        vec![],
        vec![],
        vec![MoveLoc(0), MoveFrom(r_def), Unpack(r_def), Pop, Ret],
    );
    callee.acquires = vec![0];
    // f0(a) acquires R { let r = borrow_global<R>(a); f1(a); *r }
    let mut caller = fun(
        vec![T::Address],
        vec![],
        vec![imm(r())],
        vec![
            CopyLoc(0),
            ImmBorrowGlobal(r_def),
            StLoc(1),
            MoveLoc(0),
            Call(FunctionHandleIndex(1)),
            MoveLoc(1),
            Pop,
            Ret,
        ],
    );
    caller.acquires = vec![0];
    let m = module_with(vec![caller, callee], vec![]);
    assert_borrow_error(verify(m), "GLOBAL_REFERENCE_ERROR", 4);
}

#[test]
fn acquires_annotations() {
    let r_def = StructDefinitionIndex(0);
    let borrow = || vec![MoveLoc(0), ImmBorrowGlobal(r_def), Pop, Ret];
    // Missing.
    let m = module_with(
        vec![fun(vec![T::Address], vec![], vec![], borrow())],
        vec![],
    );
    let e = verify(m).unwrap_err();
    assert!(
        matches!(&e.kind, K::Acquires(msg) if msg.contains("without `acquires R`")),
        "{e}"
    );
    assert!(e.location.ends_with(".code[1]"), "{e}");
    // Present: accepted.
    let mut f = fun(vec![T::Address], vec![], vec![], borrow());
    f.acquires = vec![0];
    verify(module_with(vec![f], vec![])).unwrap();
    // Extraneous.
    let mut f = fun(vec![T::Address], vec![], vec![], vec![MoveLoc(0), Pop, Ret]);
    f.acquires = vec![0];
    let e = verify(module_with(vec![f], vec![])).unwrap_err();
    assert!(
        matches!(&e.kind, K::Acquires(msg) if msg.contains("extraneous")),
        "{e}"
    );
    // Not a resource.
    let mut f = fun(vec![T::Address], vec![], vec![], vec![MoveLoc(0), Pop, Ret]);
    f.acquires = vec![1];
    let e = verify(module_with(vec![f], vec![])).unwrap_err();
    assert!(
        matches!(&e.kind, K::Acquires(msg) if msg.contains("no key")),
        "{e}"
    );
    // A caller of an acquiring function in the same module must declare it too.
    let mut callee = fun(vec![T::Address], vec![], vec![], borrow());
    callee.acquires = vec![0];
    let caller = fun(
        vec![T::Address],
        vec![],
        vec![],
        vec![MoveLoc(0), Call(FunctionHandleIndex(1)), Ret],
    );
    let e = verify(module_with(vec![caller, callee], vec![])).unwrap_err();
    assert!(
        matches!(&e.kind, K::Acquires(msg) if msg.contains("call to f1")),
        "{e}"
    );
}

#[test]
fn recursive_structs_are_rejected() {
    let nothing = fun(vec![], vec![], vec![], vec![Ret]);
    // struct S0 { x: S0 }: directly.
    let m = module_with(
        vec![fun(vec![], vec![], vec![], vec![Ret])],
        vec![(AbilitySet::EMPTY, vec![T::Struct(StructHandleIndex(2))])],
    );
    let e = verify(m).unwrap_err();
    assert!(
        matches!(&e.kind, K::RecursiveStruct(msg) if msg.contains("S0")),
        "{e}"
    );
    // struct S0 { x: vector<S1> }, struct S1 { x: S0 }: through a vector and another struct.
    let m = module_with(
        vec![nothing],
        vec![
            (
                AbilitySet::EMPTY,
                vec![T::Vector(Box::new(T::Struct(StructHandleIndex(3))))],
            ),
            (AbilitySet::EMPTY, vec![T::Struct(StructHandleIndex(2))]),
        ],
    );
    let e = verify(m).unwrap_err();
    assert!(matches!(e.kind, K::RecursiveStruct(_)), "{e}");
    // struct S0 { x: P, y: vector<P> }: fine.
    let m = module_with(
        vec![fun(vec![], vec![], vec![], vec![Ret])],
        vec![(AbilitySet::EMPTY, vec![p(), T::Vector(Box::new(p()))])],
    );
    verify(m).unwrap();
}

#[test]
fn growing_generic_recursion_is_an_instantiation_loop() {
    // f0<T>() { f0<vector<T>>() }
    let build = |arg: T| {
        let mut f = fun(vec![], vec![], vec![], vec![]);
        f.type_params = 1;
        let mut m = module_with(vec![f], vec![]);
        m.signatures.push(Signature(vec![arg]));
        let inst_sig = SignatureIndex((m.signatures.len() - 1) as u16);
        m.function_instantiations.push(FunctionInstantiation {
            handle: FunctionHandleIndex(0),
            type_parameters: inst_sig,
        });
        m.function_defs[0].code.as_mut().unwrap().code =
            vec![CallGeneric(FunctionInstantiationIndex(0)), Ret];
        m
    };
    let e = verify(build(T::Vector(Box::new(T::TypeParameter(0))))).unwrap_err();
    assert!(matches!(e.kind, K::InstantiationLoop(_)), "{e}");
    assert!(e.location.contains("(f0)"), "{e}");
    // f0<T>() { f0<T>() }: same instantiation every round, accepted.
    verify(build(T::TypeParameter(0))).unwrap();
    // f0<T>() { f0<u64>() }: closed type, accepted.
    verify(build(T::U64)).unwrap();
}
