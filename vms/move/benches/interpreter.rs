//! Interpreter throughput: bytecode instructions per second on modules compiled from
//! tests/move-src, single-threaded. Prints figures; not a timed test.
//!
//! Run: `cargo bench -p minitia-vm-move --bench interpreter` (release profile).

use std::path::PathBuf;
use std::time::Instant;

use minitia_vm_move::interpreter::{InMemoryStorage, Session, Value};
use minitia_vm_move::loader::ModuleCache;
use minitia_vm_move::types::{address_from_u64, ModuleId};

fn cache() -> ModuleCache {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/move-build");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/move-build")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "mv"))
        .collect();
    paths.sort();
    let modules = paths
        .iter()
        .map(|p| {
            minitia_vm_move::load_verified_module(&std::fs::read(p).expect("read module"))
                .expect("module verifies")
        })
        .collect();
    let mut cache = ModuleCache::new();
    cache.publish_bundle(modules).expect("modules link");
    cache
}

/// Runs `module::function` `reps` times, each in a fresh session; returns (instructions,
/// seconds).
fn measure(
    cache: &ModuleCache,
    module: &str,
    function: &str,
    args: &[Value],
    reps: u32,
) -> (u64, f64) {
    let id = ModuleId::new(address_from_u64(0x42), module);
    let storage = InMemoryStorage::new();
    let start = Instant::now();
    let mut instructions = 0;
    for _ in 0..reps {
        let mut s = Session::new(cache, &storage, u64::MAX);
        s.execute_function(&id, function, &[], args.to_vec())
            .expect("benchmark function runs");
        instructions += s.instructions_executed();
    }
    (instructions, start.elapsed().as_secs_f64())
}

fn main() {
    let cache = cache();
    let signer = Value::Signer(address_from_u64(0xcafe));
    let cases: [(&str, &str, Vec<Value>, u32, &str); 6] = [
        (
            "d_control",
            "t_while",
            vec![],
            2000,
            "loop + u64 arithmetic",
        ),
        (
            "d_control",
            "t_recursion",
            vec![],
            50,
            "calls (fib 20, depth 200)",
        ),
        (
            "d_control",
            "t_collatz",
            vec![],
            5000,
            "branches + arithmetic",
        ),
        (
            "d_struct",
            "t_generic_vectors",
            vec![],
            5000,
            "generic structs, vectors",
        ),
        (
            "d_vector",
            "t_push_pop_swap",
            vec![],
            5000,
            "vector natives",
        ),
        (
            "d_global",
            "ts_move_to_and_read",
            vec![signer],
            5000,
            "global storage",
        ),
    ];
    println!("interpreter throughput (single thread, fresh session per run)");
    println!(
        "{:<36} {:>12} {:>10} {:>14}",
        "case", "instructions", "seconds", "instr/s"
    );
    let (mut total_i, mut total_s) = (0u64, 0f64);
    for (module, function, args, reps, what) in cases {
        // Warm-up.
        measure(&cache, module, function, &args, reps / 10 + 1);
        let (i, secs) = measure(&cache, module, function, &args, reps);
        total_i += i;
        total_s += secs;
        println!(
            "{:<36} {:>12} {:>10.3} {:>14.0}",
            format!("{module}::{function} ({what})"),
            i,
            secs,
            i as f64 / secs
        );
    }
    println!(
        "{:<36} {:>12} {:>10.3} {:>14.0}",
        "total",
        total_i,
        total_s,
        total_i as f64 / total_s
    );
}
