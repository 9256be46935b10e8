//! Property tests: random and mutated inputs never make the deserializer or the checks panic.

mod common;

use proptest::prelude::*;
use std::sync::OnceLock;

fn corpus() -> &'static Vec<(String, Vec<u8>)> {
    static CORPUS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    CORPUS.get_or_init(common::corpus_modules)
}

/// Runs the full loading pipeline; only panics matter, errors are expected.
fn load_all(bytes: &[u8]) {
    let _ = minitia_vm_move::load_verified_module(bytes);
    let _ = minitia_vm_move::load_script(bytes);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_after_header_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut bytes = vec![0xA1, 0x1C, 0xEB, 0x0B, 0x07, 0x00, 0x00, 0x0A];
        bytes.extend_from_slice(&tail);
        load_all(&bytes);
    }

    #[test]
    fn mutated_corpus_modules_never_panic(
        which in 0usize..159,
        mutations in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let modules = corpus();
        let mut bytes = modules[which % modules.len()].1.clone();
        for (pos, byte) in mutations {
            let i = pos.index(bytes.len());
            bytes[i] = byte;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len()));
        }
        load_all(&bytes);
    }

    #[test]
    fn mutated_module_models_never_panic_checks(
        which in 0usize..159,
        field in 0usize..6,
        value in any::<u16>(),
    ) {
        // Corrupt one index in the model and re-serialize, reaching the checks with
        // structurally valid but semantically broken binaries.
        let modules = corpus();
        let mut m = minitia_vm_move::deserialize_module(&modules[which % modules.len()].1).unwrap();
        use minitia_vm_move::file_format::*;
        match field {
            0 => if let Some(h) = m.function_handles.first_mut() { h.parameters = SignatureIndex(value) },
            1 => if let Some(h) = m.struct_handles.first_mut() { h.module = ModuleHandleIndex(value) },
            2 => if let Some(h) = m.field_handles.first_mut() { h.field = value % 256 },
            3 => m.self_module_handle_idx = ModuleHandleIndex(value),
            4 => if let Some(d) = m.function_defs.iter_mut().find_map(|d| d.code.as_mut()) {
                d.code.insert(0, Bytecode::Branch(value));
            },
            _ => if let Some(s) = m.signatures.first_mut() {
                s.0.push(SignatureToken::Struct(StructHandleIndex(value)));
            },
        }
        load_all(&minitia_vm_move::serialize_module(&m));
    }
}
