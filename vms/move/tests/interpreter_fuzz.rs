//! Robustness: the interpreter does not trust a verifier, so executing code whose
//! instructions were shuffled (bounds-valid but ill-typed) must end in an error or a
//! result, never a panic or a hang (gas bounds every run).

use std::path::PathBuf;
use std::sync::OnceLock;

use minitia_vm_move::file_format::{CompiledModule, SignatureToken};
use minitia_vm_move::interpreter::{InMemoryStorage, Session, Value};
use minitia_vm_move::loader::ModuleCache;
use minitia_vm_move::types::{address_from_u64, ModuleId};
use proptest::prelude::*;

fn modules() -> &'static Vec<CompiledModule> {
    static MODULES: OnceLock<Vec<CompiledModule>> = OnceLock::new();
    MODULES.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/move-build");
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "mv"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| minitia_vm_move::load_module(&std::fs::read(p).unwrap()).unwrap())
            .collect()
    })
}

/// A plausible argument for a parameter of primitive type, `None` otherwise.
fn arg_for(tok: &SignatureToken) -> Option<Value> {
    use SignatureToken as S;
    Some(match tok {
        S::Bool => Value::Bool(true),
        S::U8 => Value::U8(3),
        S::U16 => Value::U16(3),
        S::U32 => Value::U32(3),
        S::U64 => Value::U64(3),
        S::U128 => Value::U128(3),
        S::Address => Value::Address(address_from_u64(7)),
        S::Signer => Value::Signer(address_from_u64(7)),
        S::Vector(t) => Value::Vector(vec![arg_for(t)?, arg_for(t)?]),
        S::Reference(t) | S::MutableReference(t) => arg_for(t)?,
        _ => return None,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn shuffled_code_never_panics(
        module in any::<prop::sample::Index>(),
        function in any::<prop::sample::Index>(),
        swaps in proptest::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 1..4),
    ) {
        let mut all = modules().clone();
        let mi = module.index(all.len());
        let target = &mut all[mi];
        if target.function_defs.is_empty() {
            return Ok(());
        }
        let fi = function.index(target.function_defs.len());
        let Some(code) = target.function_defs[fi].code.as_mut() else { return Ok(()) };
        for (a, b) in swaps {
            let (a, b) = (a.index(code.code.len()), b.index(code.code.len()));
            code.code.swap(a, b);
        }
        let id = ModuleId::of(target);
        let handle = &target.function_handles[target.function_defs[fi].function.into_index()];
        let name = target.identifier(handle.name).to_string();
        let generic = !handle.type_parameters.is_empty();
        let args: Option<Vec<Value>> = target.signatures[handle.parameters.into_index()]
            .0
            .iter()
            .map(arg_for)
            .collect();
        let mut cache = ModuleCache::new();
        if cache.publish_bundle(all).is_err() || generic {
            return Ok(());
        }
        let Some(args) = args else { return Ok(()) };
        let storage = InMemoryStorage::new();
        let mut session = Session::new(&cache, &storage, 20_000);
        // Any outcome is fine; reaching this line without a panic is the property.
        let _ = session.execute_function(&id, &name, &[], args);
        let _ = session.finish();
    }
}
