//! Shared helpers for integration tests: locating the Initia framework corpus.

#![allow(dead_code)]

use std::path::PathBuf;

/// Directory of the compiled Initia framework modules (test data, outside the repo).
pub fn corpus_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/move/initia-framework");
    assert!(
        dir.is_dir(),
        "Move corpus not found at {}: the `shared` folder must sit next to the repository root",
        dir.display()
    );
    dir
}

/// All `.mv` files of the corpus as (relative path, bytes), sorted by path.
pub fn corpus_modules() -> Vec<(String, Vec<u8>)> {
    let root = corpus_dir();
    let mut out = Vec::new();
    for sub in ["stdlib", "minlib", "hooks"] {
        let dir = root.join(sub);
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "mv") {
                let name = format!("{sub}/{}", path.file_name().unwrap().to_string_lossy());
                out.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}
