//! `evm-bench`: signed Ethereum transfers per second, end to end, at a large funded state.
//!
//! Each block goes through what the sequencer does with it: decode + sender recovery
//! (`decode_tx`), mempool admission (`check_tx`), execution (`execute_block` on a view of the
//! committed store) and the state commitment (`commit_writes`, durable). Prints the time of
//! each phase and the end-to-end rate; with `--erc20` the txs are ERC-20 `transfer` calls on
//! a token compiled from the Solidity source in `tests/js/contracts.mjs`.
//!
//! With `--pipeline` the blocks run as the node runs them: txs are decoded and their senders
//! recovered on a second thread (the node does this in its RPC handlers, at admission) while
//! the previous block executes and commits; the figure is the wall-clock rate of the whole.
//!
//! Usage: `evm-bench [--accounts N] [--txs M] [--block B] [--erc20] [--pipeline] [--dir PATH]`

use std::time::{Duration, Instant};

use minitia_chain::app::{AppConfig, CosmosApp, DecAmount};
use minitia_core::{
    Address as CoreAddress, BlockContext, ChainId, ExecutionEngine, Hash32, Height, WriteSet,
};
use minitia_store::{Store, StoreConfig};
use minitia_vm_evm::{keys, wallet::Wallet, AppTx, EvmApp};
use revm::primitives::{keccak256, Address, U256};

const DENOM: &str = "umin";
const BASE_FEE: u128 = 1_000_000_000;
const TOKEN_RUNTIME_HEX: &str = include_str!("token_runtime.hex");

struct Args {
    accounts: u64,
    txs: u64,
    block: usize,
    erc20: bool,
    pipeline: bool,
    dir: Option<std::path::PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        accounts: 1_000_000,
        txs: 50_000,
        block: 5_000,
        erc20: false,
        pipeline: false,
        dir: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{k} needs a value"));
        match k.as_str() {
            "--accounts" => a.accounts = val()?.parse().map_err(|e| format!("--accounts: {e}"))?,
            "--txs" => a.txs = val()?.parse().map_err(|e| format!("--txs: {e}"))?,
            "--block" => a.block = val()?.parse().map_err(|e| format!("--block: {e}"))?,
            "--dir" => a.dir = Some(val()?.into()),
            "--erc20" => a.erc20 = true,
            "--pipeline" => a.pipeline = true,
            other => return Err(format!("unknown argument {other}; see the file's docs")),
        }
    }
    if a.txs > a.accounts {
        return Err("--txs must not exceed --accounts (one tx per funded sender)".into());
    }
    Ok(a)
}

/// A funded account that never signs: keccak(i) truncated.
fn synthetic(i: u64) -> Address {
    Address::from_slice(&keccak256(i.to_be_bytes())[12..])
}

fn token_address() -> Address {
    Address::repeat_byte(0x70)
}

fn balance_slot(holder: &Address) -> U256 {
    let mut buf = [0u8; 64];
    buf[12..32].copy_from_slice(holder.as_slice());
    buf[63] = 4; // `balanceOf` is the 5th state variable of Token.
    U256::from_be_bytes(keccak256(buf).0)
}

/// CPU time (user + system) this thread has used, from `/proc/thread-self/stat` (10 ms
/// ticks): phases are also reported in CPU time, which stays meaningful when other
/// processes share the cores.
fn cpu() -> Duration {
    let ticks = std::fs::read_to_string("/proc/thread-self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            // After the comm field: state is field 3, utime 14 and stime 15.
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let tmp = tempfile_dir(&args)?;
    let chain_id = ChainId::new("evm-bench-1")?;
    let mut cfg = AppConfig::new(chain_id.clone(), "init", DENOM);
    cfg.min_gas_price = DecAmount::parse(&BASE_FEE.to_string())?;
    cfg.max_tx_gas = 30_000_000;
    let app = EvmApp::new(CosmosApp::new(cfg, vec![]));
    let evm_chain = app.evm().params().chain_id;
    let mut store = Store::open(tmp.join("state.redb"), StoreConfig::default())?;

    println!(
        "evm-bench: {} funded accounts, {} {} txs, {} per block",
        args.accounts,
        args.txs,
        if args.erc20 {
            "ERC-20 transfer"
        } else {
            "ETH transfer"
        },
        args.block
    );
    let t = Instant::now();
    let senders: Vec<Wallet> = (0..args.txs).map(|i| Wallet::from_index(i + 1)).collect();
    println!(
        "  keys derived for {} senders in {:.1?}",
        senders.len(),
        t.elapsed()
    );

    let t = Instant::now();
    let mut genesis = WriteSet::new();
    let funds = (10u128.pow(21)).to_be_bytes().to_vec();
    for s in &senders {
        genesis.put(keys::balance_key(&s.address(), DENOM), funds.clone());
        if args.erc20 {
            genesis.put(
                keys::storage_key(&token_address(), &balance_slot(&s.address())),
                U256::from(10u64.pow(18)).to_be_bytes::<32>().to_vec(),
            );
        }
    }
    for i in args.txs..args.accounts {
        genesis.put(keys::balance_key(&synthetic(i), DENOM), funds.clone());
    }
    if args.erc20 {
        let code = hex::decode(TOKEN_RUNTIME_HEX.trim())?;
        let h = keccak256(&code);
        genesis.put(keys::code_key(&h), code);
        genesis.put(keys::code_hash_key(&token_address()), h.to_vec());
    }
    let n_keys = genesis.len();
    store.commit_writes(1, &genesis)?;
    drop(genesis);
    println!("  genesis: {n_keys} keys committed in {:.1?}", t.elapsed());

    // Sign: sender i pays a pseudo-random funded account (LCG, seeded).
    let t = Instant::now();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let raws: Vec<Vec<u8>> = senders
        .iter()
        .map(|w| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let to = synthetic(args.txs + (x >> 11) % (args.accounts - args.txs).max(1));
            if args.erc20 {
                let mut data = vec![0xa9, 0x05, 0x9c, 0xbb];
                data.extend_from_slice(&[0u8; 12]);
                data.extend_from_slice(to.as_slice());
                data.extend_from_slice(&U256::from(1).to_be_bytes::<32>());
                w.eip1559(
                    evm_chain,
                    0,
                    Some(token_address()),
                    U256::ZERO,
                    data,
                    100_000,
                    2 * BASE_FEE,
                    0,
                )
            } else {
                w.eip1559(
                    evm_chain,
                    0,
                    Some(to),
                    U256::from(1_000u64),
                    vec![],
                    21_000,
                    2 * BASE_FEE,
                    0,
                )
            }
        })
        .collect();
    println!(
        "  signed {} txs in {:.1?} (not counted)",
        raws.len(),
        t.elapsed()
    );

    let block_ctx = |height: u64| BlockContext {
        chain_id: chain_id.clone(),
        height: Height(height),
        time_unix_nanos: 1_700_000_000_000_000_000 + i128::from(height) * 1_000_000_000,
        proposer: CoreAddress::default(),
        max_gas: 0,
        last_block_hash: Hash32([height as u8; 32]),
    };
    if args.pipeline {
        // Decoder thread -> (bounded queue of one block) -> execute + commit on this thread.
        let started = Instant::now();
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<AppTx>>(1);
        let mut failed = 0usize;
        let mut commit_busy = Duration::ZERO;
        let mut exec_busy = Duration::ZERO;
        std::thread::scope(|s| -> Result<(), Box<dyn std::error::Error>> {
            let app_ref = &app;
            let raws_ref = &raws;
            let block = args.block;
            s.spawn(move || {
                for chunk in raws_ref.chunks(block) {
                    let txs: Vec<AppTx> = chunk
                        .iter()
                        .filter_map(|r| app_ref.decode_tx(r).ok())
                        .collect();
                    if tx.send(txs).is_err() {
                        return;
                    }
                }
            });
            for (b, txs) in rx.iter().enumerate() {
                let height = b as u64 + 1;
                let ctx = block_ctx(height);
                let t = Instant::now();
                let view = store.view(height)?;
                let out = app.execute_block(&ctx, &view, &txs)?;
                drop(view);
                exec_busy += t.elapsed();
                failed += out.tx_results.iter().filter(|r| r.code != 0).count();
                let t = Instant::now();
                store.commit_writes(height + 1, &out.writes)?;
                commit_busy += t.elapsed();
            }
            Ok(())
        })?;
        let wall = started.elapsed();
        let n = args.txs;
        println!(
            "pipelined ({} blocks of {}):",
            n.div_ceil(args.block as u64),
            args.block
        );
        println!(
            "  END TO END, pipelined: {:.3} s, {:.0} tx/s (execute {:.3} s, commit {:.3} s on the main thread)",
            wall.as_secs_f64(),
            rate(n, wall),
            exec_busy.as_secs_f64(),
            commit_busy.as_secs_f64()
        );
        if failed > 0 {
            return Err(format!("{failed} txs failed").into());
        }
        return Ok(());
    }
    let (mut t_decode, mut t_decode_par, mut t_check, mut t_exec, mut t_commit) =
        Default::default();
    let (mut c_decode, mut c_check, mut c_exec, mut c_commit) =
        <(Duration, Duration, Duration, Duration)>::default();
    let mut t_tree = Duration::ZERO;
    let mut t_db = Duration::ZERO;
    let mut failed = 0usize;
    let mut gas = 0u64;
    let mut writes = 0usize;
    for (b, chunk) in raws.chunks(args.block).enumerate() {
        let height = b as u64 + 1;
        let (t, c) = (Instant::now(), cpu());
        let txs: Vec<AppTx> = chunk
            .iter()
            .map(|r| app.decode_tx(r))
            .collect::<Result<_, _>>()?;
        t_decode += t.elapsed();
        c_decode += cpu().saturating_sub(c);
        // The node decodes in the RPC handlers, concurrently: the same on two threads.
        let t = Instant::now();
        std::thread::scope(|s| {
            let (a, bb) = chunk.split_at(chunk.len() / 2);
            let h = s.spawn(|| a.iter().filter(|r| app.decode_tx(r).is_ok()).count());
            let n = bb.iter().filter(|r| app.decode_tx(r).is_ok()).count();
            let _ = h.join().map(|m| m + n);
        });
        t_decode_par += t.elapsed();
        let ctx = block_ctx(height);
        let view = store.view(height)?;
        let (t, c) = (Instant::now(), cpu());
        for tx in &txs {
            app.check_tx(&ctx, &view, tx)?;
        }
        t_check += t.elapsed();
        c_check += cpu().saturating_sub(c);
        let (t, c) = (Instant::now(), cpu());
        let out = app.execute_block(&ctx, &view, &txs)?;
        t_exec += t.elapsed();
        c_exec += cpu().saturating_sub(c);
        failed += out.tx_results.iter().filter(|r| r.code != 0).count();
        gas += out.tx_results.iter().map(|r| r.gas_used).sum::<u64>();
        writes += out.writes.len();
        drop(view);
        let (t, c) = (Instant::now(), cpu());
        store.commit_writes(height + 1, &out.writes)?;
        t_commit += t.elapsed();
        c_commit += cpu().saturating_sub(c);
        let st = store.last_commit_stats();
        t_tree += st.tree;
        t_db += st.db;
    }
    let n = args.txs;
    let e2e = t_decode + t_exec + t_commit;
    let e2e_par = t_decode_par + t_exec + t_commit;
    println!(
        "results ({} blocks, {failed} failed txs, {gas} gas, {writes} state writes):",
        n.div_ceil(args.block as u64)
    );
    println!(
        "  {:<36} {:>11} {:>13} {:>12}   {:>13} {:>14}",
        "phase", "wall", "wall/tx", "wall tx/s", "cpu/tx", "tx per cpu-s"
    );
    let row = |name: &str, d: Duration, c: Option<Duration>| {
        let cols = c.map_or(String::new(), |c| {
            format!(
                "   {:>10.2} us {:>14.0}",
                c.as_secs_f64() * 1e6 / n as f64,
                rate(n, c)
            )
        });
        println!(
            "  {name:<36} {:>9.3} s {:>10.2} us {:>12.0}{cols}",
            d.as_secs_f64(),
            d.as_secs_f64() * 1e6 / n as f64,
            rate(n, d)
        )
    };
    row(
        "decode + sender recovery (1 thread)",
        t_decode,
        Some(c_decode),
    );
    row("decode + sender recovery (2 threads)", t_decode_par, None);
    row("check_tx (mempool admission)", t_check, Some(c_check));
    row("execute_block (revm + state diff)", t_exec, Some(c_exec));
    row("commit (tree + durable redb)", t_commit, Some(c_commit));
    row("  of which tree hashing", t_tree, None);
    row("  of which redb write + fsync", t_db, None);
    row(
        "END TO END (decode+exec+commit)",
        e2e,
        Some(c_decode + c_exec + c_commit),
    );
    row("END TO END, decode on 2 threads", e2e_par, None);
    if failed > 0 {
        return Err(format!("{failed} txs failed").into());
    }
    Ok(())
}

fn tempfile_dir(args: &Args) -> Result<std::path::PathBuf, std::io::Error> {
    let d = match &args.dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("evm-bench-{}", std::process::id())),
    };
    if d.exists() {
        std::fs::remove_dir_all(&d)?;
    }
    std::fs::create_dir_all(&d)?;
    Ok(d)
}
