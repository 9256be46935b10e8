//! Commit / reopen / proof throughput of the store at 1,000,000 keys.
//!
//! `CARGO_TARGET_DIR=/work/target-store cargo bench -p minitia-store --bench commit`
//! Environment: `STORE_BENCH_KEYS` (default 1000000), `STORE_BENCH_BLOCKS` (default 150),
//! `STORE_BENCH_BLOCK` (updates per block, default 10000), `STORE_BENCH_DIR` (default: a temp
//! dir; the database goes there).

use std::time::{Duration, Instant};

use minitia_core::state::WriteSet;
use minitia_store::{verify_membership, verify_non_membership, Store, StoreConfig};
use prost::Message;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn random_key(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut k = vec![0u8; 32];
    rng.fill_bytes(&mut k);
    k
}

fn random_value(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let len = rng.gen_range(8..=40);
    let mut v = vec![0u8; len];
    rng.fill_bytes(&mut v);
    v
}

/// CPU time (user + system) this thread used so far, from /proc (Linux; nanoseconds from
/// schedstat, else 10 ms ticks from stat); `None` elsewhere. Reported next to wall time
/// because the benchmark machine is shared. The store does all its work on the calling
/// thread.
fn cpu_time() -> Option<Duration> {
    if let Some(ns) = std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
    {
        return Some(Duration::from_nanos(ns));
    }
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every mainstream Linux configuration.
    Some(Duration::from_millis(ticks * 10))
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` passes `--bench`; ignore arguments.
    let n_keys = env("STORE_BENCH_KEYS", 1_000_000);
    let blocks = env("STORE_BENCH_BLOCKS", 150);
    let block = env("STORE_BENCH_BLOCK", 10_000);
    let tmp = tempfile::tempdir()?;
    let dir = std::env::var("STORE_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("state.redb");
    let _ = std::fs::remove_file(&path);
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut store = Store::open(&path, StoreConfig::default())?;
    let mut keys: Vec<Vec<u8>> = Vec::with_capacity(n_keys + blocks * block);

    // Fill in blocks of 100k keys.
    let fill_block = 100_000;
    let started = Instant::now();
    let mut version = 0;
    while keys.len() < n_keys {
        let mut ws = WriteSet::new();
        for _ in 0..fill_block.min(n_keys - keys.len()) {
            let k = random_key(&mut rng);
            ws.put(k.clone(), random_value(&mut rng));
            keys.push(k);
        }
        version += 1;
        store.commit_writes(version, &ws)?;
    }
    let fill = started.elapsed();
    println!(
        "fill: {n_keys} keys in {:.2} s ({:.0} keys/s, blocks of {fill_block})",
        fill.as_secs_f64(),
        rate(n_keys, fill)
    );

    // Steady state: blocks of `block` updates, half overwriting existing keys, half new.
    let (mut total, mut tree, mut db, mut updates) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO, 0);
    let mut latencies = Vec::with_capacity(blocks);
    let mut cpu = Some(Duration::ZERO);
    let (mut merged, mut passes) = (0usize, 0u32);
    for _ in 0..blocks {
        let mut ws = WriteSet::new();
        while ws.len() < block {
            if rng.gen_bool(0.5) {
                let i = rng.gen_range(0..keys.len());
                ws.put(keys[i].clone(), random_value(&mut rng));
            } else {
                let k = random_key(&mut rng);
                ws.put(k.clone(), random_value(&mut rng));
                keys.push(k);
            }
        }
        version += 1;
        let cpu_before = cpu_time();
        let t = Instant::now();
        store.commit_writes(version, &ws)?;
        let took = t.elapsed();
        let cpu_after = cpu_time();
        cpu = match (cpu, cpu_before, cpu_after) {
            (Some(sum), Some(a), Some(b)) => Some(sum + (b - a)),
            _ => None,
        };
        total += took;
        latencies.push(took);
        let s = store.last_commit_stats();
        tree += s.tree;
        db += s.db;
        merged += s.merged_rows;
        passes += u32::from(s.indexed);
        updates += ws.len();
    }
    println!(
        "commit: {updates} updates in {blocks} blocks of {block}: {:.0} updates/s \
         ({:.1} ms/block: tree {:.1} ms, redb {:.1} ms)",
        rate(updates, total),
        total.as_secs_f64() * 1e3 / blocks as f64,
        tree.as_secs_f64() * 1e3 / blocks as f64,
        db.as_secs_f64() * 1e3 / blocks as f64,
    );
    if let Some(cpu) = cpu {
        println!(
            "commit CPU time (user+sys of the committing thread): {:.2} s for {updates} updates \
             = {:.0} updates per CPU-second ({:.1} ms CPU/block)",
            cpu.as_secs_f64(),
            rate(updates, cpu),
            cpu.as_secs_f64() * 1e3 / blocks as f64
        );
    }
    println!(
        "history merge: {merged} rows moved from the frozen log into the indexed history \
         ({:.0} rows/block), {passes} passes completed",
        merged as f64 / blocks as f64
    );
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e3;
    println!(
        "commit latency per block: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0)
    );
    let root = store.root();
    let latest = store.latest();
    drop(store);
    let file_mb = std::fs::metadata(&path)?.len() as f64 / 1e6;

    let t = Instant::now();
    let store = Store::open(&path, StoreConfig::default())?;
    let reopen = t.elapsed();
    assert_eq!(store.root(), root, "reopened root differs");
    println!(
        "reopen: {} keys, tree rebuilt and root checked in {:.2} s (db file {file_mb:.0} MB)",
        keys.len(),
        reopen.as_secs_f64()
    );

    // Proofs: half present keys, half absent.
    let n_proofs = 20_000;
    let probes: Vec<Vec<u8>> = (0..n_proofs)
        .map(|i| {
            if i % 2 == 0 {
                keys[rng.gen_range(0..keys.len())].clone()
            } else {
                random_key(&mut rng)
            }
        })
        .collect();
    let t = Instant::now();
    let proofs = store.prove_many(latest, probes.iter().map(Vec::as_slice))?;
    let prove = t.elapsed();
    let (mut exist_bytes, mut exist_n, mut non_bytes, mut non_n) = (0, 0, 0, 0);
    for p in &proofs {
        let len = p.proof.encoded_len();
        match &p.value {
            Some(v) => {
                exist_bytes += len;
                exist_n += 1;
                assert!(verify_membership(&p.proof, &root, &p.key, v));
            }
            None => {
                non_bytes += len;
                non_n += 1;
                assert!(verify_non_membership(&p.proof, &root, &p.key));
            }
        }
    }
    println!(
        "prove: {n_proofs} proofs in {:.2} s ({:.0} proofs/s); all verified",
        prove.as_secs_f64(),
        rate(n_proofs, prove)
    );
    println!(
        "proof size (protobuf): membership {:.0} B avg, non-membership {:.0} B avg",
        exist_bytes as f64 / exist_n.max(1) as f64,
        non_bytes as f64 / non_n.max(1) as f64
    );
    Ok(())
}
