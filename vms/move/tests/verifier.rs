//! The verifier rejects ill-typed code and bad signatures with precise reasons.

use minitia_vm_move::file_format::*;
use minitia_vm_move::verifier::{verify_module, VerifyErrorKind as K};
use minitia_vm_move::{load_module, serialize_module};

/// `0x1::M` with `struct S { x: u64 }` (no abilities), `struct Box<T: copy> has copy, drop
/// { v: T }` and `fun f(u64): u64` whose body is `code` with extra locals `locals`.
fn module(code: Vec<Bytecode>, locals: Vec<SignatureToken>) -> CompiledModule {
    let mut addr = [0u8; 32];
    addr[31] = 1;
    let copy_drop = AbilitySet::EMPTY.with(Ability::Copy).with(Ability::Drop);
    // Signature pool entries must be unique: reuse `()` or `(u64)` when they match.
    let mut signatures = vec![Signature(vec![]), Signature(vec![SignatureToken::U64])];
    let locals_idx = match signatures.iter().position(|s| s.0 == locals) {
        Some(i) => i,
        None => {
            signatures.push(Signature(locals));
            2
        }
    };
    CompiledModule {
        version: 7,
        aptos_flavour: true,
        module_handles: vec![ModuleHandle {
            address: AddressIdentifierIndex(0),
            name: IdentifierIndex(0),
        }],
        identifiers: ["M", "f", "S", "x", "Box", "v"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        address_identifiers: vec![addr],
        signatures,
        struct_handles: vec![
            StructHandle {
                module: ModuleHandleIndex(0),
                name: IdentifierIndex(2),
                abilities: AbilitySet::EMPTY,
                type_parameters: vec![],
            },
            StructHandle {
                module: ModuleHandleIndex(0),
                name: IdentifierIndex(4),
                abilities: copy_drop,
                type_parameters: vec![StructTypeParameter {
                    constraints: AbilitySet::EMPTY.with(Ability::Copy),
                    is_phantom: false,
                }],
            },
        ],
        struct_defs: vec![
            StructDefinition {
                struct_handle: StructHandleIndex(0),
                field_information: StructFieldInformation::Declared(vec![FieldDefinition {
                    name: IdentifierIndex(3),
                    signature: SignatureToken::U64,
                }]),
            },
            StructDefinition {
                struct_handle: StructHandleIndex(1),
                field_information: StructFieldInformation::Declared(vec![FieldDefinition {
                    name: IdentifierIndex(5),
                    signature: SignatureToken::TypeParameter(0),
                }]),
            },
        ],
        function_handles: vec![FunctionHandle {
            module: ModuleHandleIndex(0),
            name: IdentifierIndex(1),
            parameters: SignatureIndex(1),
            return_: SignatureIndex(1),
            type_parameters: vec![],
            access_specifiers: None,
        }],
        function_defs: vec![FunctionDefinition {
            function: FunctionHandleIndex(0),
            visibility: Visibility::Public,
            is_entry: false,
            acquires_global_resources: vec![],
            code: Some(CodeUnit {
                locals: SignatureIndex(locals_idx as u16),
                code,
            }),
        }],
        ..Default::default()
    }
}

/// Round-trips through the binary and the checks, then verifies.
fn verify(m: CompiledModule) -> Result<(), minitia_vm_move::verifier::VerifyError> {
    let m = load_module(&serialize_module(&m)).unwrap();
    verify_module(&m)
}

#[test]
fn well_typed_function_verifies() {
    use Bytecode::*;
    // f(x) = if (x < 10) x + 1 else { let s = S { x }; let S { x: y } = s; y }
    let code = vec![
        CopyLoc(0),
        LdU64(10),
        Lt,
        BrFalse(8),
        MoveLoc(0),
        LdU64(1),
        Add,
        Ret,
        MoveLoc(0),
        Pack(StructDefinitionIndex(0)),
        Unpack(StructDefinitionIndex(0)),
        Ret,
    ];
    verify(module(code, vec![])).unwrap();
}

#[test]
fn type_mismatch_in_arithmetic() {
    use Bytecode::*;
    let err = verify(module(vec![MoveLoc(0), LdTrue, Add, Ret], vec![])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "FunctionDefs[0] (f).code[2]: type mismatch: Add expects two equal integer types, found u64 and bool"
    );
}

#[test]
fn wrong_return_type() {
    use Bytecode::*;
    let err = verify(module(vec![LdTrue, Ret], vec![])).unwrap_err();
    assert_eq!(err.location, "FunctionDefs[0] (f).code[1]");
    assert_eq!(
        err.kind,
        K::TypeMismatch("return value: expected u64, found bool".into())
    );
}

#[test]
fn stack_discipline() {
    use Bytecode::*;
    let err = verify(module(vec![Pop, MoveLoc(0), Ret], vec![])).unwrap_err();
    assert_eq!(
        (err.location.as_str(), err.kind),
        ("FunctionDefs[0] (f).code[0]", K::StackUnderflow)
    );
    let err = verify(module(vec![LdU64(1), MoveLoc(0), Ret], vec![])).unwrap_err();
    assert_eq!(
        (err.location.as_str(), err.kind),
        ("FunctionDefs[0] (f).code[2]", K::UnbalancedStack(1))
    );
    // A value left on the stack across a branch.
    let err = verify(module(vec![LdU64(1), Branch(2), Ret], vec![])).unwrap_err();
    assert_eq!(err.kind, K::UnbalancedStack(1));
}

#[test]
fn control_flow() {
    use Bytecode::*;
    let err = verify(module(vec![MoveLoc(0), Pop], vec![])).unwrap_err();
    assert_eq!(err.kind, K::FallThrough);
    let err = verify(module(vec![], vec![])).unwrap_err();
    assert_eq!(err.kind, K::EmptyCode);
}

#[test]
fn abilities_are_enforced() {
    use Bytecode::*;
    // Dropping a struct without `drop`.
    let code = vec![
        MoveLoc(0),
        Pack(StructDefinitionIndex(0)),
        Pop,
        LdU64(0),
        Ret,
    ];
    let err = verify(module(code, vec![])).unwrap_err();
    assert_eq!(err.location, "FunctionDefs[0] (f).code[2]");
    assert_eq!(
        err.kind,
        K::MissingAbility("Pop needs Drop but S does not have it".into())
    );
    // Copying a local of a struct type without `copy`.
    let code = vec![
        MoveLoc(0),
        Pack(StructDefinitionIndex(0)),
        StLoc(1),
        CopyLoc(1),
        Unpack(StructDefinitionIndex(0)),
        Ret,
    ];
    let err = verify(module(
        code,
        vec![SignatureToken::Struct(StructHandleIndex(0))],
    ))
    .unwrap_err();
    assert_eq!(
        err.kind,
        K::MissingAbility("CopyLoc needs Copy but S does not have it".into())
    );
}

#[test]
fn signatures_are_checked() {
    use Bytecode::*;
    // Box<signer>: signer lacks copy required by Box's parameter.
    let boxed_signer =
        SignatureToken::StructInstantiation(StructHandleIndex(1), vec![SignatureToken::Signer]);
    let err = verify(module(vec![MoveLoc(0), Ret], vec![boxed_signer])).unwrap_err();
    assert_eq!(err.location, "FunctionDefs[0] (f).locals");
    assert_eq!(
        err.kind,
        K::ConstraintNotSatisfied("type argument signer of Box lacks copy".into())
    );
    // Nested reference in a local.
    let nested = SignatureToken::Reference(Box::new(SignatureToken::Vector(Box::new(
        SignatureToken::Reference(Box::new(SignatureToken::U8)),
    ))));
    let err = verify(module(vec![MoveLoc(0), Ret], vec![nested])).unwrap_err();
    assert_eq!(
        err.kind,
        K::InvalidSignature("nested reference in &vector<&u8>".into())
    );
    // Reference in a struct field.
    let mut m = module(vec![MoveLoc(0), Ret], vec![]);
    if let StructFieldInformation::Declared(fields) = &mut m.struct_defs[0].field_information {
        fields[0].signature = SignatureToken::Reference(Box::new(SignatureToken::U64));
    }
    let err = verify(m).unwrap_err();
    assert_eq!(err.location, "StructDefs[0] (S).x");
    assert_eq!(
        err.kind,
        K::InvalidSignature("reference type &u64 not allowed here".into())
    );
}

#[test]
fn constants_are_checked() {
    use Bytecode::*;
    let mut m = module(vec![MoveLoc(0), Ret], vec![]);
    m.constant_pool.push(Constant {
        type_: SignatureToken::U64,
        data: vec![1, 2, 3],
    });
    let err = verify(m).unwrap_err();
    assert_eq!(err.location, "ConstantPool[0]");
    assert!(matches!(err.kind, K::InvalidConstant(_)), "{err}");
    let mut m = module(vec![MoveLoc(0), Ret], vec![]);
    m.constant_pool.push(Constant {
        type_: SignatureToken::Signer,
        data: vec![0; 32],
    });
    let err = verify(m).unwrap_err();
    assert_eq!(
        err.kind,
        K::InvalidConstant("type Signer cannot be a constant".into())
    );
}

#[test]
fn locals_safety() {
    use Bytecode::*;
    // Using a parameter after moving it.
    let err = verify(module(vec![MoveLoc(0), Pop, MoveLoc(0), Ret], vec![])).unwrap_err();
    assert_eq!(err.location, "FunctionDefs[0] (f).code[2]");
    assert_eq!(
        err.kind,
        K::Other("move of local 0, which holds no value".into())
    );
    // Moved on one path only: `if (x < 1) { _ = move x }; return x`.
    let code = vec![
        CopyLoc(0),
        LdU64(1),
        Lt,
        BrFalse(6),
        MoveLoc(0),
        Pop,
        MoveLoc(0),
        Ret,
    ];
    let err = verify(module(code, vec![])).unwrap_err();
    assert_eq!(err.location, "FunctionDefs[0] (f).code[6]");
    assert_eq!(
        err.kind,
        K::Other("move of local 0, which may have been moved".into())
    );
    // Copying a declared but never assigned local.
    let err = verify(module(vec![CopyLoc(1), Ret], vec![SignatureToken::U64])).unwrap_err();
    assert_eq!(
        err.kind,
        K::Other("copy of local 1, which holds no value".into())
    );
    // Returning while a local still holds an `S` (no drop).
    let code = vec![
        CopyLoc(0),
        Pack(StructDefinitionIndex(0)),
        StLoc(1),
        MoveLoc(0),
        Ret,
    ];
    let err = verify(module(
        code,
        vec![SignatureToken::Struct(StructHandleIndex(0))],
    ))
    .unwrap_err();
    assert_eq!(
        err.kind,
        K::MissingAbility("local 1 of type S still holds a value without drop at return".into())
    );
    // Overwriting an `S`.
    let code = vec![
        CopyLoc(0),
        Pack(StructDefinitionIndex(0)),
        StLoc(1),
        CopyLoc(0),
        Pack(StructDefinitionIndex(0)),
        StLoc(1),
        MoveLoc(1),
        Unpack(StructDefinitionIndex(0)),
        Ret,
    ];
    let err = verify(module(
        code,
        vec![SignatureToken::Struct(StructHandleIndex(0))],
    ))
    .unwrap_err();
    assert_eq!(err.location, "FunctionDefs[0] (f).code[5]");
    assert_eq!(
        err.kind,
        K::MissingAbility(
            "local 1 of type S is overwritten but its value cannot be dropped".into()
        )
    );
    // The loop in `well_typed_function_verifies`-style code with a re-assigned local is fine.
    let code = vec![
        LdU64(0),
        StLoc(1),
        CopyLoc(1),
        LdU64(1),
        Add,
        StLoc(1),
        CopyLoc(1),
        CopyLoc(0),
        Lt,
        BrTrue(2),
        MoveLoc(1),
        Ret,
    ];
    verify(module(code, vec![SignatureToken::U64])).unwrap();
}

/// Every corpus module with an integer `Add` is rejected once that `Add` becomes `Or`, at
/// exactly the mutated instruction.
#[test]
fn mutated_corpus_code_is_rejected() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/move/initia-framework/stdlib");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let mut mutated = 0;
    for path in paths {
        let mut m = load_module(&std::fs::read(&path).unwrap()).unwrap();
        let site = m.function_defs.iter().enumerate().find_map(|(f, d)| {
            let code = d.code.as_ref()?;
            code.code
                .iter()
                .position(|i| *i == Bytecode::Add)
                .map(|pc| (f, pc))
        });
        let Some((f, pc)) = site else { continue };
        if let Some(code) = m.function_defs[f].code.as_mut() {
            code.code[pc] = Bytecode::Or;
        }
        let err = verify_module(&m).unwrap_err();
        assert!(
            err.location.starts_with(&format!("FunctionDefs[{f}] ("))
                && err.location.ends_with(&format!(".code[{pc}]")),
            "{}: {err}",
            path.display()
        );
        assert!(
            matches!(err.kind, K::TypeMismatch(_)),
            "{}: {err}",
            path.display()
        );
        mutated += 1;
    }
    println!("{mutated} mutated stdlib modules rejected");
    assert!(mutated > 20, "only {mutated} modules had an Add");
}

#[test]
fn unchecked_module_is_rejected_not_panicking() {
    let mut m = module(vec![Bytecode::MoveLoc(0), Bytecode::Ret], vec![]);
    m.function_defs[0].function = FunctionHandleIndex(7);
    let err = verify_module(&m).unwrap_err();
    assert_eq!(err.location, "module");
    assert!(
        err.to_string()
            .contains("function handle index 7 out of bounds"),
        "{err}"
    );
}
