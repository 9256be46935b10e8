//! Deserializes, bounds-checks and round-trips every module of the Initia framework corpus.

mod common;

use minitia_vm_move::deserialize_module;

#[test]
fn corpus_deserializes() {
    let modules = common::corpus_modules();
    assert_eq!(modules.len(), 159, "expected the 159 corpus modules");
    let mut failures = Vec::new();
    let mut ok = 0;
    for (name, bytes) in &modules {
        match deserialize_module(bytes) {
            Ok(_) => ok += 1,
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    println!("{ok}/{} modules deserialized", modules.len());
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}

#[test]
fn corpus_round_trips_byte_exact() {
    let modules = common::corpus_modules();
    let mut exact = 0;
    for (name, bytes) in &modules {
        let module = deserialize_module(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let again = minitia_vm_move::serialize_module(&module);
        let reparsed =
            deserialize_module(&again).unwrap_or_else(|e| panic!("{name}: reparse: {e}"));
        assert_eq!(reparsed, module, "{name}: model changed after round trip");
        assert_eq!(&again, bytes, "{name}: bytes differ after round trip");
        exact += 1;
    }
    println!("{exact}/{} modules round-tripped byte-exact", modules.len());
}

#[test]
fn corpus_passes_bounds_and_structure_checks() {
    let modules = common::corpus_modules();
    let mut failures = Vec::new();
    let (mut functions, mut structs, mut enums, mut instructions) = (0, 0, 0, 0);
    for (name, bytes) in &modules {
        match minitia_vm_move::load_module(bytes) {
            Ok(m) => {
                functions += m.function_defs.len();
                structs += m.struct_defs.len();
                enums += m
                    .struct_defs
                    .iter()
                    .filter(|d| d.field_information.variant_count() > 0)
                    .count();
                instructions += m
                    .function_defs
                    .iter()
                    .filter_map(|f| f.code.as_ref())
                    .map(|c| c.code.len())
                    .sum::<usize>();
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    println!(
        "{}/{} modules bounds-checked ({functions} functions, {structs} structs, {enums} enums, {instructions} instructions)",
        modules.len() - failures.len(),
        modules.len()
    );
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}

/// Links one directory of the corpus (plus optional extra directories) as a bundle.
fn link_dirs(dirs: &[&str]) -> Result<usize, String> {
    let mut modules = Vec::new();
    for (name, bytes) in common::corpus_modules() {
        if dirs.iter().any(|d| name.starts_with(&format!("{d}/"))) {
            modules.push(minitia_vm_move::load_module(&bytes).map_err(|e| format!("{name}: {e}"))?);
        }
    }
    let mut cache = minitia_vm_move::loader::ModuleCache::new();
    let order = cache.publish_bundle(modules).map_err(|e| e.to_string())?;
    Ok(order.len())
}

#[test]
fn corpus_links_per_framework() {
    let stdlib = link_dirs(&["stdlib", "hooks"]).unwrap();
    println!("{stdlib}/82 stdlib+hooks modules linked");
    assert_eq!(stdlib, 82);
    let minlib = link_dirs(&["minlib"]).unwrap();
    println!("{minlib}/77 minlib modules linked");
    assert_eq!(minlib, 77);
}

#[test]
fn corpus_passes_the_verifier() {
    let modules = common::corpus_modules();
    let mut failures = Vec::new();
    for (name, bytes) in &modules {
        if let Err(e) = minitia_vm_move::load_verified_module(bytes) {
            failures.push(format!("{name}: {e}"));
        }
    }
    println!(
        "{}/{} modules verified",
        modules.len() - failures.len(),
        modules.len()
    );
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}
