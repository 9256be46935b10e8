//! Ill-formed binaries must be rejected with precise errors naming table and offset/index.

mod common;

use minitia_vm_move::errors::{BinaryError, CheckError, DeserializeErrorKind as K};
use minitia_vm_move::file_format::*;
use minitia_vm_move::{deserialize_module, load_module, serialize_module};

/// A valid one-function module `0x1::M` with `public fun f() { return }`.
fn minimal_module() -> CompiledModule {
    let mut addr = [0u8; 32];
    addr[31] = 1;
    CompiledModule {
        version: 7,
        aptos_flavour: true,
        self_module_handle_idx: ModuleHandleIndex(0),
        module_handles: vec![ModuleHandle {
            address: AddressIdentifierIndex(0),
            name: IdentifierIndex(0),
        }],
        identifiers: vec!["M".to_string(), "f".to_string()],
        address_identifiers: vec![addr],
        signatures: vec![Signature(vec![])],
        function_handles: vec![FunctionHandle {
            module: ModuleHandleIndex(0),
            name: IdentifierIndex(1),
            parameters: SignatureIndex(0),
            return_: SignatureIndex(0),
            type_parameters: vec![],
            access_specifiers: None,
        }],
        function_defs: vec![FunctionDefinition {
            function: FunctionHandleIndex(0),
            visibility: Visibility::Public,
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

fn corpus_module(name: &str) -> Vec<u8> {
    common::corpus_modules()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} not in corpus"))
        .1
}

#[test]
fn minimal_module_is_valid() {
    let bytes = serialize_module(&minimal_module());
    assert_eq!(load_module(&bytes).unwrap(), minimal_module());
}

#[test]
fn wrong_magic_is_rejected() {
    let mut bytes = serialize_module(&minimal_module());
    bytes[0] = 0xA2;
    let err = deserialize_module(&bytes).unwrap_err();
    assert!(matches!(err.kind, K::BadMagic { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "header: bad magic [a2, 1c, eb, 0b], expected [a1, 1c, eb, 0b]"
    );
    let err = deserialize_module(&[]).unwrap_err();
    assert!(matches!(err.kind, K::Truncated { offset: 0, .. }), "{err}");
}

#[test]
fn unknown_versions_are_rejected() {
    let bytes = serialize_module(&minimal_module());
    for (word, expected_version) in [(0x0A00_0008u32, 8u32), (5, 5), (0, 0), (0x0A00_0005, 5)] {
        let mut b = bytes.clone();
        b[4..8].copy_from_slice(&word.to_le_bytes());
        let err = deserialize_module(&b).unwrap_err();
        match err.kind {
            K::UnsupportedVersion { version, raw, .. } => {
                assert_eq!((version, raw), (expected_version, word))
            }
            other => panic!("unexpected error {other}"),
        }
    }
    let mut b = bytes.clone();
    b[4..8].copy_from_slice(&0x0B00_0007u32.to_le_bytes());
    let err = deserialize_module(&b).unwrap_err();
    assert_eq!(
        err.to_string(),
        "header: unknown flavour marker 0x0b in version word 0x0b000007"
    );
    // Plain (unflavoured) version 6 and 7 modules are accepted.
    for version in [6u32, 7] {
        let mut m = minimal_module();
        m.version = version;
        m.aptos_flavour = false;
        let b = serialize_module(&m);
        assert_eq!(b[4..8], version.to_le_bytes());
        assert_eq!(load_module(&b).unwrap(), m);
    }
}

#[test]
fn truncated_modules_are_rejected_at_every_length() {
    let bytes = corpus_module("stdlib/vector.mv");
    for len in 0..bytes.len() {
        let err = deserialize_module(&bytes[..len]).unwrap_err();
        assert!(
            matches!(err.kind, K::Truncated { .. }),
            "length {len}: expected truncation, got {err}"
        );
    }
    // Dropping only the final byte loses the self module handle index.
    let err = deserialize_module(&bytes[..bytes.len() - 1]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "module tail: truncated at offset {} while reading self module handle index",
            bytes.len() - 1
        )
    );
}

#[test]
fn trailing_bytes_are_rejected() {
    let mut bytes = serialize_module(&minimal_module());
    let len = bytes.len();
    bytes.push(0);
    let err = deserialize_module(&bytes).unwrap_err();
    assert_eq!(
        err.kind,
        K::TrailingBytes {
            offset: len,
            count: 1
        }
    );
}

#[test]
fn out_of_bounds_signature_index_names_table_and_index() {
    let mut m = minimal_module();
    m.function_handles[0].parameters = SignatureIndex(300);
    let err = load_module(&serialize_module(&m)).unwrap_err();
    assert_eq!(
        err,
        BinaryError::Check(CheckError::IndexOutOfBounds {
            location: "FunctionHandles[0]".to_string(),
            kind: "signature",
            index: 300,
            len: 1,
        })
    );
    assert_eq!(
        err.to_string(),
        "check failed: FunctionHandles[0]: signature index 300 out of bounds (len 1)"
    );
}

#[test]
fn out_of_bounds_indices_in_code_are_rejected() {
    let cases: Vec<(Bytecode, &str)> = vec![
        (
            Bytecode::Branch(5),
            "FunctionDefs[0].code[0]: code offset index 5 out of bounds (len 2)",
        ),
        (
            Bytecode::CopyLoc(0),
            "FunctionDefs[0].code[0]: local index 0 out of bounds (len 0)",
        ),
        (
            Bytecode::Call(FunctionHandleIndex(9)),
            "FunctionDefs[0].code[0]: function handle index 9 out of bounds (len 1)",
        ),
        (
            Bytecode::LdConst(ConstantPoolIndex(0)),
            "FunctionDefs[0].code[0]: constant index 0 out of bounds (len 0)",
        ),
        (
            Bytecode::Pack(StructDefinitionIndex(0)),
            "FunctionDefs[0].code[0]: struct definition index 0 out of bounds (len 0)",
        ),
    ];
    for (instr, expected) in cases {
        let mut m = minimal_module();
        if let Some(code) = m.function_defs[0].code.as_mut() {
            code.code.insert(0, instr);
        }
        let err = load_module(&serialize_module(&m)).unwrap_err();
        assert_eq!(err.to_string(), format!("check failed: {expected}"));
    }
}

#[test]
fn corpus_module_with_corrupted_index_is_rejected() {
    let bytes = corpus_module("stdlib/coin.mv");
    let mut m = deserialize_module(&bytes).unwrap();
    let len = m.signatures.len();
    m.function_handles[12].return_ = SignatureIndex(300);
    let err = load_module(&serialize_module(&m)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("check failed: FunctionHandles[12]: signature index 300 out of bounds (len {len})")
    );
}

#[test]
fn duplicate_identifier_is_rejected() {
    let mut m = minimal_module();
    m.identifiers.push("M".to_string());
    let err = load_module(&serialize_module(&m)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "check failed: Identifiers[2]: duplicate identifier, first at index 0"
    );
}

#[test]
fn undefined_self_function_is_rejected() {
    let mut m = minimal_module();
    m.function_defs.clear();
    let err = load_module(&serialize_module(&m)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "check failed: FunctionHandles[0]: function `f` is declared in the self module but has no definition"
    );
}

#[test]
fn bad_opcodes_are_rejected_with_offset() {
    let bytes = serialize_module(&minimal_module());
    // The code of `f` is `[Ret]`, serialized right before the self handle index byte.
    let ret_offset = bytes.len() - 2;
    assert_eq!(bytes[ret_offset], 0x02);
    let mut b = bytes.clone();
    b[ret_offset] = 0xFF;
    let err = deserialize_module(&b).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("FunctionDefs[0]: unknown opcode 0xff at offset {ret_offset}")
    );
    b[ret_offset] = 0x58;
    let err = deserialize_module(&b).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("FunctionDefs[0]: closure opcode 0x58 at offset {ret_offset} requires bytecode version 8 (binary has version 7)")
    );
}

#[test]
fn uleb_encodings_are_checked() {
    let bytes = serialize_module(&minimal_module());
    // Table count: non-canonical two-byte encoding of a small value.
    let mut b = bytes[..8].to_vec();
    b.extend_from_slice(&[0x85, 0x00]);
    let err = deserialize_module(&b).unwrap_err();
    assert_eq!(
        err.kind,
        K::UlebNonCanonical {
            offset: 8,
            what: "table count"
        }
    );
    // Table count: more than 64 bits.
    let mut b = bytes[..8].to_vec();
    b.extend_from_slice(&[0xFF; 11]);
    let err = deserialize_module(&b).unwrap_err();
    assert_eq!(
        err.kind,
        K::UlebOverflow {
            offset: 8,
            what: "table count"
        }
    );
    // Table count above the 255 limit.
    let mut b = bytes[..8].to_vec();
    b.extend_from_slice(&[0x80, 0x02]);
    let err = deserialize_module(&b).unwrap_err();
    assert_eq!(
        err.to_string(),
        "header: table count 256 at offset 8 exceeds the maximum 255"
    );
}

#[test]
fn enums_require_version_7() {
    let bytes = corpus_module("stdlib/big_ordered_map.mv");
    let m = deserialize_module(&bytes).unwrap();
    assert!(m
        .struct_defs
        .iter()
        .any(|d| d.field_information.variant_count() > 0));
    let mut v6 = m.clone();
    v6.version = 6;
    v6.aptos_flavour = false;
    let err = deserialize_module(&serialize_module(&v6)).unwrap_err();
    assert!(
        matches!(
            err.kind,
            K::TableNotAllowed { .. } | K::VersionMismatch { required: 7, .. }
        ),
        "{err}"
    );
}

#[test]
fn invalid_identifier_is_rejected() {
    let mut m = minimal_module();
    m.identifiers[1] = "9lives".to_string();
    let err = deserialize_module(&serialize_module(&m)).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Identifiers[1]: invalid identifier \"9lives\""),
        "{err}"
    );
}

#[test]
fn scripts_round_trip_and_module_tables_are_rejected_in_scripts() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/move-build/scripts/open_and_deposit_0.mv");
    let bytes = std::fs::read(path).unwrap();
    let script = minitia_vm_move::load_script(&bytes).unwrap();
    assert_eq!(script.version, 7);
    assert!(script.aptos_flavour);
    assert_eq!(minitia_vm_move::serialize_script(&script), bytes);
    // A module is not a script: its FUNCTION_DEFS table is rejected by name.
    let module = serialize_module(&minimal_module());
    let err = minitia_vm_move::deserialize_script(&module).unwrap_err();
    assert_eq!(
        err.kind,
        K::TableNotAllowed {
            table: "FunctionDefs",
            reason: "in a script".to_string()
        }
    );
}
